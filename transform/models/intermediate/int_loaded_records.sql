-- Every load of a record of the three event types, with its flags and the UTC day it was loaded: the
-- common shape dq_daily counts from. Read from the raw tables, not the deduplicated staging views: a
-- record loaded twice (re-sent by its producer) was handled twice, and dq_daily counts each event id once
-- per day. Ephemeral: dbt inlines it as a CTE wherever it is referenced.
select 'trip_completed' as event_type, event_id, toDate(ingested_at) as loaded_on, flags
from {{ source('farebox', 'raw_trips') }}
union all
select 'vehicle_location' as event_type, event_id, toDate(ingested_at) as loaded_on, flags
from {{ source('farebox', 'raw_vehicle_locations') }}
union all
select 'driver_document' as event_type, event_id, toDate(ingested_at) as loaded_on, flags
from {{ source('farebox', 'raw_driver_documents') }}
