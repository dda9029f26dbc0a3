{{
    config(
        engine='MergeTree()',
        order_by='(pickup_hour, pu_location_id)',
        partition_by='toYYYYMM(pickup_hour)'
    )
}}

-- Demand and revenue per pick-up zone and hour: one row per (pickup_hour, pu_location_id) that had a trip.
-- Every trip counts, flagged ones included, so revenue here adds up to fct_trips' total.
select
    pickup_hour,
    toHour(pickup_hour, '{{ var("fleet_timezone") }}') as local_hour_of_day,
    toDayOfWeek(pickup_hour, 0, '{{ var("fleet_timezone") }}') as local_day_of_week,
    pu_location_id,
    pu_zone,
    pu_borough,
    count() as trips,
    countIf(not is_flagged) as clean_trips,
    sum(coalesce(passenger_count, 0)) as passengers,
    {{ money('sum(total_amount)') }} as revenue,
    {{ money('sum(fare_amount)') }} as fare_revenue,
    {{ money('sum(tip_amount)') }} as tips,
    round(avg(trip_distance_miles), 2) as avg_trip_distance_miles,
    round(avg(duration_minutes), 2) as avg_duration_minutes
from {{ ref('fct_trips') }}
group by pickup_hour, pu_location_id, pu_zone, pu_borough
