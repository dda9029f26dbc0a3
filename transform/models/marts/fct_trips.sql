{#- The newest load time already in the table; the trips it holds from that very millisecond (read again
    by >=, they stay put: a batch loaded in the same millisecond but after the last run is still taken);
    and the earliest pick-up among the trips loaded since. The incremental run reads, and replaces, only
    trips from that pick-up on, so ClickHouse skips older partitions and index ranges of raw_trips and of
    this table; a re-sent trip keeps its pick-up time. With nothing new, the earliest pick-up is NULL and
    nothing is read. -#}
{%- set loaded_through = '(select max(ingested_at) from ' ~ this ~ ')' -%}
{%- set already_in = '(select event_id from ' ~ this ~ ' where ingested_at = ' ~ loaded_through ~ ')' -%}
{%- set earliest_new_pickup -%}
    (select minOrNull(pickup_datetime) from {{ source('farebox', 'raw_trips') }}
     where ingested_at >= {{ loaded_through }} and event_id not in {{ already_in }})
{%- endset -%}

{#- Aggregate projections: ClickHouse keeps per-minute and per-hour counts and sums beside the rows, in
    every part, and answers a query grouped and filtered by their keys from them instead of from the rows
    (the Fleet dashboard reads whole minutes and hours of a time range from them, and only the part-hours at
    either end from the rows). Inserted rows get them as they are written. The hooks run after each build
    (rendered then, when is_incremental() is known): the two settings let a ReplacingMergeTree have
    projections, rebuilt in a part when a merge drops a duplicate or a DELETE removes rows (set on the table
    each run, so that a table built before the projections takes them too); a full build then MATERIALIZEs
    them on the new table's parts, which an incremental run never needs to redo. -#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_id',
        incremental_predicates=['pickup_at >= ' ~ earliest_new_pickup],
        engine='ReplacingMergeTree(ingested_at)',
        order_by='(taxi_kind, pickup_at, event_id)',
        partition_by='toYYYYMM(pickup_at)',
        post_hook=[
            "alter table {{ this }} modify setting
                deduplicate_merge_projection_mode = 'rebuild', lightweight_mutation_projection_mode = 'rebuild'",
            "alter table {{ this }}
                add projection if not exists trips_by_minute (
                    select toStartOfMinute(pickup_at), pu_borough, count()
                    group by toStartOfMinute(pickup_at), pu_borough),
                add projection if not exists zones_by_hour (
                    select toStartOfHour(pickup_at), pu_zone, pu_borough, count()
                    group by toStartOfHour(pickup_at), pu_zone, pu_borough),
                add projection if not exists dropoff_zones_by_hour (
                    select toStartOfHour(pickup_at), do_zone, do_borough, pu_borough, count()
                    group by toStartOfHour(pickup_at), do_zone, do_borough, pu_borough),
                add projection if not exists fares_by_hour (
                    select toStartOfHour(pickup_at), pu_borough, payment_type_name, count(), sum(fare_amount),
                           sum(tip_share_of_fare), count(tip_share_of_fare)
                    group by toStartOfHour(pickup_at), pu_borough, payment_type_name),
                add projection if not exists distances_by_hour (
                    select toStartOfHour(pickup_at), pu_borough, floor(trip_distance_miles), count()
                    group by toStartOfHour(pickup_at), pu_borough, floor(trip_distance_miles))",
            "{% if not is_incremental() %}
             alter table {{ this }}
                materialize projection trips_by_minute,
                materialize projection zones_by_hour,
                materialize projection dropoff_zones_by_hour,
                materialize projection fares_by_hour,
                materialize projection distances_by_hour
             settings mutations_sync = 1
             {% endif %}"
        ]
    )
}}

{%- set duration_ms = "dateDiff('millisecond', trips.pickup_at, trips.dropoff_at)" -%}
{%- set surcharges -%}
    trips.extra + trips.mta_tax + trips.improvement_surcharge
    + coalesce(trips.congestion_surcharge, 0) + coalesce(trips.airport_fee, 0)
    + coalesce(trips.ehail_fee, 0) + coalesce(trips.cbd_congestion_fee, 0)
{%- endset %}

-- One row per completed trip (event_id), with its zones, duration, speed and tip share.
-- Incremental: a run after the first reads only trips loaded since the newest ingested_at already in the
-- table, deletes those event_ids and inserts them again; a trip re-sent later replaces its earlier row.
with trips as (
    select *
    from {{ ref('stg_trips') }}
    {% if is_incremental() %}
    where ingested_at >= {{ loaded_through }}
        and pickup_at >= {{ earliest_new_pickup }}
        and event_id not in {{ already_in }}
    {% endif %}
),

zones as (
    select location_id, zone, borough, service_zone
    from {{ ref('dim_zones') }}
)

select
    trips.event_id as event_id,
    trips.trip_id as trip_id,
    trips.taxi_kind as taxi_kind,
    trips.vendor_id as vendor_id,
    trips.vehicle_id as vehicle_id,
    trips.driver_id as driver_id,
    trips.pickup_at as pickup_at,
    trips.dropoff_at as dropoff_at,
    toDate(trips.pickup_at, '{{ var("fleet_timezone") }}') as pickup_date,
    toStartOfHour(trips.pickup_at) as pickup_hour,
    trips.pu_location_id as pu_location_id,
    -- ClickHouse fills the columns of an unmatched LEFT JOIN row with defaults (''), not NULL.
    nullIf(pickup_zone.zone, '') as pu_zone,
    nullIf(pickup_zone.borough, '') as pu_borough,
    nullIf(pickup_zone.service_zone, '') as pu_service_zone,
    trips.do_location_id as do_location_id,
    nullIf(dropoff_zone.zone, '') as do_zone,
    nullIf(dropoff_zone.borough, '') as do_borough,
    nullIf(dropoff_zone.service_zone, '') as do_service_zone,
    trips.passenger_count as passenger_count,
    trips.trip_distance_miles as trip_distance_miles,
    round({{ duration_ms }} / 60000, 2) as duration_minutes,
    round({{ safe_divide('trips.trip_distance_miles', duration_ms ~ ' / 3600000') }}, 2) as avg_speed_mph,
    trips.ratecode_id as ratecode_id,
    trips.payment_type as payment_type,
    trips.payment_type_name as payment_type_name,
    trips.fare_amount as fare_amount,
    trips.tip_amount as tip_amount,
    trips.tolls_amount as tolls_amount,
    {{ money(surcharges) }} as surcharges_amount,
    trips.total_amount as total_amount,
    round({{ safe_divide('trips.tip_amount', 'trips.fare_amount') }}, 4) as tip_share_of_fare,
    trips.flags as flags,
    trips.is_flagged as is_flagged,
    trips.is_unknown_zone as is_unknown_zone,
    trips.ingested_at as ingested_at
from trips
left join zones as pickup_zone on pickup_zone.location_id = trips.pu_location_id
left join zones as dropoff_zone on dropoff_zone.location_id = trips.do_location_id
