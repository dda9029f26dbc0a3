{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='pickup_hour',
        engine='MergeTree()',
        order_by='(pickup_hour, pu_location_id)',
        partition_by='toYYYYMM(pickup_hour)'
    )
}}

-- Demand and revenue per pick-up zone and hour: one row per (pickup_hour, pu_location_id) that had a trip.
-- Every trip counts, flagged ones included, so revenue here adds up to fct_trips' total.
-- Incremental: a run after the first recounts only the hours in which trips loaded since the last run
-- were picked up (last_ingested_at remembers how far it got), and replaces those hours' rows.
with
{% if is_incremental() %}
touched_hours as (
    select distinct pickup_hour
    from {{ ref('fct_trips') }}
    where ingested_at >= (select max(last_ingested_at) from {{ this }})
),
{% endif %}

trips as (
    select *
    from {{ ref('fct_trips') }}
    {% if is_incremental() %}
    where pickup_hour in (select pickup_hour from touched_hours)
        and pickup_at >= (select minOrNull(pickup_hour) from touched_hours)
    {% endif %}
)

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
    round(avg({{ exact('trip_distance_miles') }}), 2) as avg_trip_distance_miles,
    round(avg({{ exact('duration_minutes') }}), 2) as avg_duration_minutes,
    max(ingested_at) as last_ingested_at
from trips
group by pickup_hour, pu_location_id, pu_zone, pu_borough
