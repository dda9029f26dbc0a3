/**
 * The tests' check of a bundle file against Superset's import schemas: marshmallow refuses unknown keys, so
 * a file must hold the keys a schema requires, and no key it does not take.
 */
import { expect } from 'vitest';
import type { Doc } from './testing.ts';

// The keys of Superset 6.1's ImportV1*Schema classes (superset/*/schemas.py): required ones, and all it takes.
const schemas = {
  database: {
    required: ['database_name', 'sqlalchemy_uri', 'uuid', 'version'],
    allowed: [
      'database_name',
      'sqlalchemy_uri',
      'password',
      'encrypted_extra',
      'masked_encrypted_extra',
      'cache_timeout',
      'expose_in_sqllab',
      'allow_run_async',
      'allow_ctas',
      'allow_cvas',
      'allow_dml',
      'allow_csv_upload',
      'allow_file_upload',
      'impersonate_user',
      'extra',
      'uuid',
      'version',
      'is_managed_externally',
      'external_url',
      'ssh_tunnel',
      'configuration_method',
    ],
  },
  databaseExtra: {
    required: [],
    allowed: [
      'metadata_params',
      'engine_params',
      'metadata_cache_timeout',
      'schemas_allowed_for_csv_upload',
      'cost_estimate_enabled',
      'allows_virtual_table_explore',
      'cancel_query_on_windows_unload',
      'disable_data_preview',
      'disable_drill_to_detail',
      'allow_multi_catalog',
      'per_user_caching',
      'version',
      'schema_options',
    ],
  },
  dataset: {
    required: ['table_name', 'uuid', 'version', 'database_uuid'],
    allowed: [
      'table_name',
      'main_dttm_col',
      'currency_code_column',
      'description',
      'default_endpoint',
      'offset',
      'cache_timeout',
      'schema',
      'catalog',
      'sql',
      'params',
      'template_params',
      'filter_select_enabled',
      'fetch_values_predicate',
      'extra',
      'uuid',
      'columns',
      'metrics',
      'version',
      'database_uuid',
      'data',
      'is_managed_externally',
      'external_url',
      'normalize_columns',
      'always_filter_main_dttm',
    ],
  },
  column: {
    required: ['column_name'],
    allowed: [
      'column_name',
      'extra',
      'verbose_name',
      'is_dttm',
      'is_active',
      'type',
      'advanced_data_type',
      'groupby',
      'filterable',
      'expression',
      'description',
      'python_date_format',
      'datetime_format',
    ],
  },
  metric: {
    required: ['metric_name', 'expression'],
    allowed: [
      'metric_name',
      'verbose_name',
      'metric_type',
      'expression',
      'description',
      'd3format',
      'currency',
      'extra',
      'warning_text',
    ],
  },
  chart: {
    required: ['slice_name', 'viz_type', 'uuid', 'version', 'dataset_uuid'],
    allowed: [
      'slice_name',
      'description',
      'certified_by',
      'certification_details',
      'viz_type',
      'params',
      'query_context',
      'cache_timeout',
      'uuid',
      'version',
      'dataset_uuid',
      'is_managed_externally',
      'external_url',
      'tags',
    ],
  },
  dashboard: {
    required: ['dashboard_title', 'uuid', 'version'],
    allowed: [
      'dashboard_title',
      'description',
      'css',
      'slug',
      'uuid',
      'position',
      'metadata',
      'version',
      'is_managed_externally',
      'external_url',
      'certified_by',
      'certification_details',
      'published',
      'tags',
      'theme_uuid',
      'theme_id',
    ],
  },
} as const;

export function conforms(what: keyof typeof schemas, doc: unknown, where: string): void {
  expect(doc, where).toBeTypeOf('object');
  const keys = Object.keys(doc as Doc);
  for (const k of schemas[what].required) expect(keys, `${where}: ${k}`).toContain(k);
  for (const k of keys)
    expect(schemas[what].allowed as readonly string[], `${where}: unknown key ${k}`).toContain(k);
}
