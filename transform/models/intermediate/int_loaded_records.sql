-- Every record readers can see, of the three event types, with its flags and the UTC day it was loaded:
-- the common shape dq_daily counts from. Ephemeral: dbt inlines it as a CTE wherever it is referenced.
select 'trip_completed' as event_type, event_id, toDate(ingested_at) as loaded_on, flags
from {{ ref('stg_trips') }}
union all
select 'vehicle_location' as event_type, event_id, toDate(ingested_at) as loaded_on, flags
from {{ ref('stg_vehicle_locations') }}
union all
select 'driver_document' as event_type, event_id, toDate(ingested_at) as loaded_on, flags
from {{ ref('stg_driver_documents') }}
