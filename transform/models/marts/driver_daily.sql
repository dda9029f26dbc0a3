{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='trip_date',
        engine='MergeTree()',
        order_by='(driver_id, trip_date)',
        partition_by='toYYYYMM(trip_date)'
    )
}}

-- One row per driver and day (the fleet's local day of pick-up) on which the driver finished a trip.
-- TLC file imports carry no driver, so only the fleet's own trips appear here.
-- Incremental: a run after the first recounts only the days on which trips loaded since the last run were
-- picked up (last_ingested_at remembers how far it got), and replaces those days' rows.
with
{% if is_incremental() %}
touched_days as (
    select distinct pickup_date
    from {{ ref('fct_trips') }}
    where ingested_at >= (select max(last_ingested_at) from {{ this }}) and driver_id is not null
),
{% endif %}

driven as (
    -- Filtered apart from the aggregation: there, the alias driver_id (not null) hides the column.
    select *
    from {{ ref('fct_trips') }}
    where driver_id is not null
    {% if is_incremental() %}
        and pickup_date in (select pickup_date from touched_days)
        and pickup_at >= toDateTime((select minOrNull(pickup_date) from touched_days), '{{ var("fleet_timezone") }}')
    {% endif %}
)

select
    assumeNotNull(driver_id) as driver_id,
    pickup_date as trip_date,
    count() as trips,
    countIf(is_flagged) as flagged_trips,
    uniqExact(vehicle_id) as vehicles,
    {{ money('sum(total_amount)') }} as revenue,
    {{ money('sum(fare_amount)') }} as fares,
    {{ money('sum(tip_amount)') }} as tips,
    toFloat64(round(sum({{ exact('trip_distance_miles') }}), 2)) as distance_miles,
    -- Time with a passenger aboard; a trip flagged long_duration (over 24 h) is a meter left running.
    toFloat64(round(sumIf({{ exact('duration_minutes') }}, not has(flags, 'long_duration')) / 60, 2)) as hours_driven,
    min(pickup_at) as first_pickup_at,
    max(dropoff_at) as last_dropoff_at,
    max(ingested_at) as last_ingested_at
from driven
group by driver_id, trip_date
