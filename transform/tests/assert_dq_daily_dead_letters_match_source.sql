-- Every dead-lettered record is counted once in dq_daily, per day and stage.
with expected as (
    select toDate(received_at) as day, toString(stage) as stage, count() as records
    from {{ source('farebox', 'dead_letters') }} final
    group by day, stage
),

counted as (
    select day, check_name as stage, sum(records) as records
    from {{ ref('dq_daily') }}
    where check_kind = 'dead_letter'
    group by day, stage
)

select expected.day, expected.stage, expected.records, counted.records
from expected
full outer join counted on counted.day = expected.day and counted.stage = expected.stage
where coalesce(expected.records, 0) != coalesce(counted.records, 0)
