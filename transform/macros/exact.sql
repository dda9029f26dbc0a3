{#-
  A Float64 measure as Decimal128 with 6 places, to sum or average exactly. Float addition depends on the
  order ClickHouse happens to read rows in, so two builds of the same rows could round 6.885 to 6.88 once
  and 6.89 the next; a Decimal sum (and avg, an exact sum divided once) gives the same cents every time.
-#}
{% macro exact(expression) -%}
  toDecimal128({{ expression }}, 6)
{%- endmacro %}
