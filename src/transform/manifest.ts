/**
 * target/manifest.json in dbt's v12 shape, for the fields farebox knows: nodes, sources, exposures,
 * macros (the project's), parent_map and child_map. Node ids, fqn, refs and depends_on follow dbt's rules.
 */
import { createHash } from 'node:crypto';
import { buildGraph } from './graph.ts';
import { qualified } from './sql.ts';
import type { ColumnInfo, ExposureNode, Node, Project, SourceNode } from './types.ts';
import { textOf } from './values.ts';

export const manifestSchema = 'https://schemas.getdbt.com/dbt/manifest/v12.json';
/** dbt_version in artifacts: farebox's runner, not dbt-core. */
export const artifactVersion = 'farebox-0.1.0';

export interface ArtifactMeta {
  invocationId: string;
  generatedAt: Date;
}

function hooks(v: unknown): { sql: string; transaction: boolean; index: null }[] {
  return (Array.isArray(v) ? v : []).map((h) => ({
    sql: typeof h === 'string' ? h : textOf((h as { sql?: unknown }).sql),
    transaction: true,
    index: null,
  }));
}

/** A column as dbt 1.11 writes it. */
function columnsJson(columns: Record<string, ColumnInfo>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(columns).map(([name, c]) => [
      name,
      {
        name: c.name,
        description: c.description,
        meta: c.meta,
        data_type: c.data_type,
        constraints: [],
        quote: null,
        config: { meta: c.meta, tags: c.tags },
        tags: c.tags,
        granularity: null,
        doc_blocks: [],
      },
    ]),
  );
}

/** dbt infers a model's primary key: columns tested both unique and not_null, else those tested unique. */
function primaryKey(project: Project, n: Node): string[] {
  const tested = (name: string): string[] =>
    [...project.nodes.values()].flatMap((t) =>
      t.resourceType === 'test' &&
      t.attachedNode === n.uniqueId &&
      t.testMetadata?.name === name &&
      typeof t.testMetadata.kwargs.column_name === 'string'
        ? [t.testMetadata.kwargs.column_name]
        : [],
    );
  const unique = tested('unique');
  const notNull = new Set(tested('not_null'));
  const both = unique.filter((c) => notNull.has(c));
  return both.length > 0 ? both : unique;
}

function nodeJson(project: Project, n: Node, compiled: ReadonlyMap<string, string>): Record<string, unknown> {
  const config =
    n.resourceType === 'test'
      ? n.config
      : { ...n.config, 'pre-hook': hooks(n.config['pre-hook']), 'post-hook': hooks(n.config['post-hook']) };
  const code = compiled.get(n.uniqueId);
  const out: Record<string, unknown> = {
    database: '',
    schema: n.schema,
    name: n.name,
    resource_type: n.resourceType,
    package_name: project.name,
    path: n.path,
    original_file_path: n.originalFilePath,
    unique_id: n.uniqueId,
    fqn: n.fqn,
    alias: n.alias,
    checksum: n.checksum === '' ? { name: 'none', checksum: '' } : { name: 'sha256', checksum: n.checksum },
    config,
    tags: n.tags,
    description: n.description,
    columns: columnsJson(n.columns),
    meta: n.meta,
    group: null,
    docs: { show: true, node_color: null },
    patch_path: n.patchPath,
    build_path: null,
    unrendered_config: n.unrenderedConfig,
    created_at: 0,
    relation_name:
      n.resourceType === 'test' || n.config.materialized === 'ephemeral'
        ? null
        : qualified(n.schema, n.alias),
    raw_code: n.rawCode,
    doc_blocks: [],
  };
  if (n.resourceType === 'seed') return { ...out, root_path: project.dir, depends_on: { macros: [] } };
  Object.assign(out, {
    language: 'sql',
    refs: n.refs,
    sources: n.sources,
    metrics: [],
    functions: [],
    depends_on: { macros: n.dependsOn.macros, nodes: n.dependsOn.nodes },
    compiled_path: null,
    contract: { enforced: false, alias_types: true, checksum: null },
  });
  if (code !== undefined)
    Object.assign(out, { compiled: true, compiled_code: code, extra_ctes_injected: true, extra_ctes: [] });
  if (n.resourceType === 'model')
    Object.assign(out, {
      access: 'protected',
      constraints: [],
      version: null,
      latest_version: null,
      deprecation_date: null,
      primary_key: primaryKey(project, n),
      time_spine: null,
    });
  if (n.resourceType === 'test' && n.testMetadata !== undefined)
    Object.assign(out, {
      column_name: n.columnName,
      file_key_name: n.fileKeyName,
      attached_node: n.attachedNode,
      test_metadata: n.testMetadata,
    });
  return out;
}

function sourceJson(project: Project, s: SourceNode): Record<string, unknown> {
  return {
    database: '',
    schema: s.schema,
    name: s.name,
    resource_type: 'source',
    package_name: project.name,
    path: s.path,
    original_file_path: s.originalFilePath,
    unique_id: s.uniqueId,
    fqn: s.fqn,
    source_name: s.sourceName,
    source_description: s.sourceDescription,
    loader: s.loader,
    identifier: s.identifier,
    quoting: { database: null, schema: null, identifier: null, column: null },
    loaded_at_field: s.loadedAtField,
    loaded_at_query: null,
    freshness: s.freshness,
    external: null,
    description: s.description,
    columns: columnsJson(s.columns),
    meta: s.meta,
    source_meta: s.sourceMeta,
    tags: s.tags,
    config: {
      enabled: true,
      event_time: null,
      freshness: s.freshness,
      loaded_at_field: s.loadedAtField,
      loaded_at_query: null,
      meta: s.meta,
      tags: s.tags,
      static_analysis: null,
    },
    patch_path: null,
    unrendered_config: s.unrenderedConfig,
    relation_name: qualified(s.schema, s.identifier),
    created_at: 0,
    unrendered_database: null,
    unrendered_schema: s.unrenderedSchema,
    doc_blocks: [],
  };
}

function exposureJson(project: Project, x: ExposureNode): Record<string, unknown> {
  return {
    name: x.name,
    resource_type: 'exposure',
    package_name: project.name,
    path: x.path,
    original_file_path: x.originalFilePath,
    unique_id: x.uniqueId,
    fqn: x.fqn,
    type: x.type,
    owner: x.owner,
    description: x.description,
    label: x.label,
    maturity: x.maturity,
    meta: x.meta,
    tags: x.tags,
    config: { enabled: true, tags: x.tags, meta: x.meta },
    unrendered_config: x.unrenderedConfig,
    url: x.url,
    depends_on: { macros: [], nodes: x.dependsOn.nodes },
    refs: x.refs,
    sources: x.sources,
    metrics: [],
    created_at: 0,
  };
}

export function buildManifest(
  project: Project,
  meta: ArtifactMeta,
  compiled: ReadonlyMap<string, string> = new Map(),
): Record<string, unknown> {
  const graph = buildGraph(project);
  const sorted = <T>(m: Map<string, T>, f: (v: T) => Record<string, unknown>) =>
    Object.fromEntries([...m.keys()].sort().map((k) => [k, f(m.get(k) as T)]));
  return {
    metadata: {
      dbt_schema_version: manifestSchema,
      dbt_version: artifactVersion,
      generated_at: meta.generatedAt.toISOString(),
      invocation_id: meta.invocationId,
      invocation_started_at: meta.generatedAt.toISOString(),
      env: {},
      project_name: project.name,
      project_id: createHash('md5').update(project.name).digest('hex'),
      user_id: null,
      send_anonymous_usage_stats: false,
      adapter_type: 'clickhouse',
      quoting: { database: true, schema: true, identifier: true, column: null },
      run_started_at: meta.generatedAt.toISOString(),
    },
    nodes: sorted(project.nodes, (n) => nodeJson(project, n, compiled)),
    sources: sorted(project.sources, (s) => sourceJson(project, s)),
    macros: sorted(project.macros, (m) => ({
      name: m.name,
      resource_type: 'macro',
      package_name: project.name,
      path: m.originalFilePath,
      original_file_path: m.originalFilePath,
      unique_id: m.uniqueId,
    })),
    docs: {},
    exposures: sorted(project.exposures, (x) => exposureJson(project, x)),
    metrics: {},
    groups: {},
    selectors: {},
    disabled: {},
    parent_map: Object.fromEntries([...graph.parents].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    child_map: Object.fromEntries([...graph.children].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    group_map: {},
    saved_queries: {},
    semantic_models: {},
    unit_tests: {},
    functions: {},
  };
}
