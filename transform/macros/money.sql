{#-
  A money amount as Decimal(18, 2), rounded to the cent. Sums of the raw Decimal(12, 2) columns come back as
  Decimal(38, 2), and arithmetic on floats needs rounding: a float goes to Decimal128 with 6 places first,
  because converting a float straight to 2 places truncates (0.29 would become 0.28).
-#}
{% macro money(expression) -%}
  toDecimal64(round(toDecimal128({{ expression }}, 6), 2), 2)
{%- endmacro %}
