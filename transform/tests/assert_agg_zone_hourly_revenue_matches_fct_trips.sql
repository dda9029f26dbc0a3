-- agg_zone_hourly counts every trip: its trips and revenue add up to fct_trips' totals, to the cent.
with facts as (
    select count() as trips, sum(total_amount) as revenue
    from {{ ref('fct_trips') }}
),

aggregated as (
    select sum(trips) as trips, sum(revenue) as revenue
    from {{ ref('agg_zone_hourly') }}
)

select facts.trips, aggregated.trips, facts.revenue, aggregated.revenue
from facts
cross join aggregated
where facts.trips != aggregated.trips or facts.revenue != aggregated.revenue
