-- No trip ends before it starts: pre-load dead-letters those, so any row here is a bug upstream.
select event_id, pickup_at, dropoff_at
from {{ ref('fct_trips') }}
where dropoff_at < pickup_at
