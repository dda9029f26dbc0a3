{{
    config(
        engine='MergeTree()',
        order_by='(driver_id, trip_date)',
        partition_by='toYYYYMM(trip_date)'
    )
}}

-- One row per driver and day (the fleet's local day of pick-up) on which the driver finished a trip.
-- TLC file imports carry no driver, so only the fleet's own trips appear here.
with driven as (
    -- Filtered apart from the aggregation: there, the alias driver_id (not null) hides the column.
    select *
    from {{ ref('fct_trips') }}
    where driver_id is not null
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
    round(sum(trip_distance_miles), 2) as distance_miles,
    -- Time with a passenger aboard; a trip flagged long_duration (over 24 h) is a meter left running.
    round(sumIf(duration_minutes, not has(flags, 'long_duration')) / 60, 2) as hours_driven,
    min(pickup_at) as first_pickup_at,
    max(dropoff_at) as last_dropoff_at
from driven
group by driver_id, trip_date
