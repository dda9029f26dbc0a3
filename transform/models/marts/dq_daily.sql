{{
    config(
        engine='MergeTree()',
        order_by='(day, event_type, check_kind, check_name)'
    )
}}

-- Data quality per UTC day the pipeline handled the records: one row per (day, event_type, check_kind,
-- check_name) with at least one record, where check_kind is 'flag' (a cleaning flag on a loaded record;
-- check_name is the flag) or 'dead_letter' (a record routed to dead_letters; check_name is the stage:
-- decode, validate or clean). share is records ÷ everything handled that day for that event type.
with loaded as (
    select * from {{ ref('int_loaded_records') }}
),

dead as (
    select event_type, stage, toDate(received_at) as handled_on
    from {{ source('farebox', 'dead_letters') }} final
),

handled as (
    select day, event_type, sum(records) as records
    from (
        select loaded_on as day, event_type, count() as records from loaded group by day, event_type
        union all
        select handled_on as day, event_type, count() as records from dead group by day, event_type
    )
    group by day, event_type
),

issues as (
    select loaded_on as day, event_type, 'flag' as check_kind, arrayJoin(flags) as check_name, count() as records
    from loaded
    where notEmpty(flags)
    group by day, event_type, check_name
    union all
    select handled_on as day, event_type, 'dead_letter' as check_kind, toString(stage) as check_name, count() as records
    from dead
    group by day, event_type, check_name
)

select
    issues.day as day,
    toString(issues.event_type) as event_type,
    issues.check_kind as check_kind,
    toString(issues.check_name) as check_name,
    issues.records as records,
    handled.records as records_handled,
    round(issues.records / handled.records, 6) as share
from issues
left join handled on handled.day = issues.day and handled.event_type = issues.event_type
