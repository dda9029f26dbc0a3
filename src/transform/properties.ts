/** Properties YAML (schema.yml files): `models:`, `seeds:`, `sources:` and `exposures:` entries. */
import path from 'node:path';
import { FareboxError } from '../errors/index.ts';
import { readYaml } from './project-file.ts';
import type { ColumnInfo, NodeConfig } from './types.ts';
import { isMapping } from './values.ts';

/** One generic test entry, with the column it is declared under. */
export interface TestDecl {
  entry: unknown;
  column: string | null;
  columnTags: string[];
}

export interface Patch {
  /** The YAML file, relative to the project root. */
  file: string;
  name: string;
  description: string;
  columns: Record<string, ColumnInfo>;
  config: NodeConfig;
  tests: TestDecl[];
}

export interface SourceTableDecl extends Patch {
  identifier: string | undefined;
  loadedAtField: string | null;
  /** As written; undefined when absent, null when switched off. */
  freshness: unknown;
  meta: Record<string, unknown>;
  tags: string[];
  /** The `config:` block as written. */
  config: NodeConfig;
}

export interface SourceDecl {
  file: string;
  name: string;
  description: string;
  schema: string | undefined;
  loader: string;
  meta: Record<string, unknown>;
  tags: string[];
  loadedAtField: string | null;
  freshness: unknown;
  config: NodeConfig;
  tables: SourceTableDecl[];
}

export interface ExposureDecl {
  file: string;
  name: string;
  raw: Record<string, unknown>;
  dependsOn: string[];
}

export interface Properties {
  models: Map<string, Patch>;
  seeds: Map<string, Patch>;
  sources: SourceDecl[];
  exposures: ExposureDecl[];
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strings = (v: unknown): string[] =>
  v === undefined || v === null ? [] : (Array.isArray(v) ? v : [v]).map(String);
const mapping = (v: unknown): Record<string, unknown> => (isMapping(v) ? v : {});

/** `data_tests:` (dbt ≥ 1.8) and `tests:` are the same list; both are read. */
function testsOf(entry: Record<string, unknown>): unknown[] {
  return [...list(entry.data_tests), ...list(entry.tests)];
}

function entries(doc: Record<string, unknown>, key: string, file: string): Record<string, unknown>[] {
  return list(doc[key]).map((e, i) => {
    if (!isMapping(e) || typeof e.name !== 'string')
      throw new FareboxError('transform_invalid', `${file}: entry ${i + 1} under ${key}: has no name`, {
        where: file,
      });
    return e;
  });
}

function patchOf(e: Record<string, unknown>, file: string): Patch {
  const columns: Record<string, ColumnInfo> = {};
  const tests: TestDecl[] = testsOf(e).map((entry) => ({ entry, column: null, columnTags: [] }));
  for (const c of list(e.columns)) {
    if (!isMapping(c) || typeof c.name !== 'string') continue;
    const tags = strings(c.tags);
    columns[c.name] = {
      name: c.name,
      description: str(c.description),
      meta: mapping(c.meta),
      data_type: typeof c.data_type === 'string' ? c.data_type : null,
      tags,
    };
    // dbt-clickhouse quotes a `quote: true` column with backticks in its tests.
    const column = c.quote === true ? `\`${c.name}\`` : c.name;
    for (const entry of testsOf(c)) tests.push({ entry, column, columnTags: tags });
  }
  const config = { ...mapping(e.config) };
  for (const key of ['tags', 'meta', 'docs'] as const) if (e[key] !== undefined) config[key] ??= e[key];
  return { file, name: e.name as string, description: str(e.description), columns, config, tests };
}

/** Freshness settings of a source or source table, under `config:` (dbt ≥ 1.10) or beside it. */
function sourceSettings(e: Record<string, unknown>) {
  const c = mapping(e.config);
  const field = c.loaded_at_field ?? e.loaded_at_field;
  return {
    loadedAtField: typeof field === 'string' ? field : null,
    freshness: 'freshness' in c ? c.freshness : e.freshness,
    meta: { ...mapping(e.meta), ...mapping(c.meta) },
    tags: [...new Set([...strings(e.tags), ...strings(c.tags)])],
    config: c,
  };
}

export function readProperties(dir: string, files: string[]): Properties {
  const props: Properties = { models: new Map(), seeds: new Map(), sources: [], exposures: [] };
  for (const file of files) {
    const doc = readYaml(path.join(dir, file), file);
    if (doc === null || doc === undefined) continue;
    if (!isMapping(doc))
      throw new FareboxError('transform_invalid', `${file} must be a mapping (version:, models: …)`, {
        where: file,
      });
    for (const kind of ['models', 'seeds'] as const)
      for (const e of entries(doc, kind, file)) {
        const patch = patchOf(e, file);
        const prev = props[kind].get(patch.name);
        if (prev !== undefined)
          throw new FareboxError(
            'transform_invalid',
            `${kind.slice(0, -1)} '${patch.name}' is described twice: in ${prev.file} and in ${file}`,
            { where: file },
          );
        props[kind].set(patch.name, patch);
      }
    for (const s of entries(doc, 'sources', file))
      props.sources.push({
        file,
        name: s.name as string,
        description: str(s.description),
        schema: typeof s.schema === 'string' ? s.schema : undefined,
        loader: str(s.loader),
        ...sourceSettings(s),
        tables: entries(s, 'tables', file).map((t) => ({
          ...patchOf(t, file),
          identifier: typeof t.identifier === 'string' ? t.identifier : undefined,
          ...sourceSettings(t),
        })),
      });
    for (const x of entries(doc, 'exposures', file))
      props.exposures.push({
        file,
        name: x.name as string,
        raw: x,
        dependsOn: list(x.depends_on).map(String),
      });
  }
  return props;
}
