{#-
  numerator / denominator as Float64, or NULL when the denominator is NULL, zero or negative.
  Ratios over a zero fare or a refund (negative fare) mean nothing, so they are left out of averages.
-#}
{% macro safe_divide(numerator, denominator) -%}
  if(({{ denominator }}) > 0, toFloat64({{ numerator }}) / toFloat64({{ denominator }}), null)
{%- endmacro %}
