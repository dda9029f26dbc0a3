/** The configuration dbt gives each resource type before any project, YAML or `config()` setting. */
import type { NodeConfig, NodeType } from './types.ts';

const common = (): NodeConfig => ({
  enabled: true,
  alias: null,
  schema: null,
  database: null,
  tags: [],
  meta: {},
  group: null,
  static_analysis: null,
});

const built = (): NodeConfig => ({
  persist_docs: {},
  'post-hook': [],
  'pre-hook': [],
  quoting: {},
  column_types: {},
  full_refresh: null,
  unique_key: null,
  on_schema_change: 'ignore',
  on_configuration_change: 'apply',
  grants: {},
  packages: [],
  docs: { show: true, node_color: null },
  contract: { enforced: false, alias_types: true },
  event_time: null,
  concurrent_batches: null,
});

export function defaultConfig(type: NodeType): NodeConfig {
  switch (type) {
    case 'model':
      return {
        ...common(),
        materialized: 'view',
        incremental_strategy: null,
        batch_size: null,
        lookback: 1,
        begin: null,
        ...built(),
        access: 'protected',
        freshness: null,
      };
    case 'seed':
      return {
        ...common(),
        materialized: 'seed',
        incremental_strategy: null,
        batch_size: null,
        lookback: 1,
        begin: null,
        ...built(),
        delimiter: ',',
        quote_columns: null,
      };
    case 'test':
      return {
        ...common(),
        schema: 'dbt_test__audit',
        materialized: 'test',
        severity: 'ERROR',
        store_failures: null,
        store_failures_as: null,
        where: null,
        limit: null,
        fail_calc: 'count(*)',
        warn_if: '!= 0',
        error_if: '!= 0',
      };
  }
}

/** The keys of dbt_project.yml that configure each node type (`tests:` is the pre-1.8 spelling). */
export const projectConfigKeys: Record<NodeType, string[]> = {
  model: ['models'],
  seed: ['seeds'],
  test: ['tests', 'data_tests'],
};
