{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='day',
        engine='MergeTree()',
        order_by='(day, event_type, check_kind, check_name)'
    )
}}

-- Data quality per UTC day the pipeline handled the records: one row per (day, event_type, check_kind,
-- check_name) with at least one record, where check_kind is 'total' (check_name 'handled': every record
-- loaded or dead-lettered), 'flag' (a cleaning flag on a loaded record; check_name is the flag) or
-- 'dead_letter' (a record routed to dead_letters; check_name is the stage: decode, validate or clean).
-- A loaded record counts once per day by event id; share is records ÷ everything handled that day for that
-- event type.
-- Incremental: records are stamped with the day they are handled, so a run after the first recounts only
-- the last day already in the table and the days since, and replaces their rows.
{%- set since = '(select max(day) from ' ~ this ~ ')' %}
with loaded as (
    select *
    from {{ ref('int_loaded_records') }}
    {% if is_incremental() %}
    where loaded_on >= {{ since }}
    {% endif %}
),

dead as (
    select event_type, stage, toDate(received_at) as handled_on
    from {{ source('farebox', 'dead_letters') }} final
    {% if is_incremental() %}
    where received_at >= toDateTime({{ since }}, 'UTC')
    {% endif %}
),

handled as (
    select day, event_type, sum(records) as records
    from (
        select loaded_on as day, event_type, uniqExact(event_id) as records from loaded group by day, event_type
        union all
        select handled_on as day, event_type, count() as records from dead group by day, event_type
    )
    group by day, event_type
),

issues as (
    select day, event_type, 'total' as check_kind, 'handled' as check_name, records
    from handled
    union all
    select loaded_on as day, event_type, 'flag' as check_kind, arrayJoin(flags) as check_name, uniqExact(event_id) as records
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
    toUInt64(issues.records) as records,
    toUInt64(handled.records) as records_handled,
    round(issues.records / handled.records, 6) as share
from issues
left join handled on handled.day = issues.day and handled.event_type = issues.event_type
