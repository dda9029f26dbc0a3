{#- The TLC's payment_type code as a word (TLC data dictionary; 0 is the 2025 "flex fare" code). -#}
{% macro payment_type_name(column) -%}
  multiIf(
    {{ column }} = 1, 'credit_card',
    {{ column }} = 2, 'cash',
    {{ column }} = 3, 'no_charge',
    {{ column }} = 4, 'dispute',
    {{ column }} = 5, 'unknown',
    {{ column }} = 6, 'voided',
    {{ column }} = 0, 'flex_fare',
    'missing'
  )
{%- endmacro %}
