{{
    config(
        engine='MergeTree()',
        order_by='(location_id)'
    )
}}

-- The TLC taxi zones, one row per zone id, with readable column names and a few handy booleans.
select
    toInt32(LocationID) as location_id,
    Borough as borough,
    Zone as zone,
    service_zone,
    LocationID between 1 and 263 as is_known_zone,
    LocationID in (1, 132, 138) as is_airport,
    Borough = 'Manhattan' and service_zone = 'Yellow Zone' as is_yellow_zone
from {{ ref('taxi_zone_lookup') }}
