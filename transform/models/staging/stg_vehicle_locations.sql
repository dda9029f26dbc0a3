-- One row per position ping, deduplicated by event_id (FINAL), without the log-source columns.
select
    event_id,
    event_time as pinged_at,
    vehicle_id,
    driver_id,
    lat,
    lon,
    speed_kmh,
    speed_kmh / 1.609344 as speed_mph,
    heading_deg,
    status,
    cast(status as String) = 'on_trip' as is_on_trip,
    speed_kmh > 0 as is_moving,
    flags,
    ingested_at
from {{ source('farebox', 'raw_vehicle_locations') }} final
