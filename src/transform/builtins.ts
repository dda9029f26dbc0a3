/**
 * dbt's built-in generic tests, in ClickHouse SQL. Each selects the failing rows, as dbt's do; a project
 * macro of the same name (`test_unique` …) replaces one. relationships says `join_use_nulls = 1` as
 * dbt-clickhouse's does: without it an unmatched LEFT JOIN row holds 0 or '' rather than NULL.
 */
import type { TemplateSource } from './jinja.ts';

const text = `
{% test not_null(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is null
{% endtest %}

{% test unique(model, column_name) %}
select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1
{% endtest %}

{% test accepted_values(model, column_name, values, quote=True) %}
with all_values as (
    select {{ column_name }} as value_field, count(*) as n_records
    from {{ model }}
    group by {{ column_name }}
)
select *
from all_values
where value_field not in (
    {%- for value in values -%}
        {%- if quote -%}'{{ value }}'{%- else -%}{{ value }}{%- endif -%}
        {%- if not loop.last -%}, {% endif -%}
    {%- endfor -%}
)
{% endtest %}

{% test relationships(model, column_name, to, field) %}
with child as (
    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
),
parent as (
    select {{ field }} as to_field
    from {{ to }}
)
select from_field
from child
left join parent on child.from_field = parent.to_field
where parent.to_field is null
settings join_use_nulls = 1
{% endtest %}
`;

export const builtinMacros: readonly TemplateSource[] = [{ path: '<dbt built-in tests>', text }];

/** The tests whose SQL farebox ships, by dbt's macro id. */
export const builtinTests = ['not_null', 'unique', 'accepted_values', 'relationships'] as const;
