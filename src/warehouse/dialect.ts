/**
 * The SQL a ClickHouse server understands. farebox writes current ClickHouse (22.8 and later, and chDB).
 * Older servers get a compatibility mode, kept because Debian's clickhouse-server (18.16) is the server
 * tests run against here: DateTime64 becomes DateTime (whole seconds), LowCardinality and Map are plain
 * types (a map is JSON text), there are no insert dedup tokens (ReplacingMergeTree and the FINAL reader
 * views still absorb a retried insert) and rows go in as JSONEachRow.
 */
import type { TableDef } from './tables.ts';
import { sourceColumns, tableDef } from './tables.ts';

export interface Dialect {
  readonly name: 'current' | 'legacy';
  readonly version: string;
  columnType(type: string): string;
  createTable(def: TableDef): string;
  /** A reader view: the table's rows without duplicates (FINAL) and without its log-source columns. */
  createView(name: string, from: TableDef): string;
  /** Settings an insert may carry on this server. */
  insertSettings(
    settings: Record<string, string | number> | undefined,
  ): Record<string, string | number> | undefined;
  /** A JSONCompactEachRow body (farebox's insert encoding) in a format this server reads. */
  insertBody(
    table: string,
    columns: readonly string[],
    body: Uint8Array,
  ): { format: 'JSONCompactEachRow' | 'JSONEachRow'; body: Uint8Array };
}

const dedupSetting = 'SETTINGS non_replicated_deduplication_window = 1000';

/** `'text'` with ClickHouse's escapes, for the few places that cannot use query parameters. */
export function sqlString(s: string): string {
  return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function parseVersion(version: string): [number, number] {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return [major, minor];
}

function render(def: TableDef, columnType: (t: string) => string, withDedup: boolean): string {
  const columns = def.columns.map((c) => `  ${c.name} ${columnType(c.type)}`).join(',\n');
  return [
    `CREATE TABLE IF NOT EXISTS ${def.name} (\n${columns}\n) ENGINE = ${def.engine}`,
    def.partitionBy === undefined ? '' : `PARTITION BY ${def.partitionBy}`,
    `ORDER BY ${def.orderBy}`,
    withDedup && def.dedup ? dedupSetting : '',
  ]
    .filter((p) => p !== '')
    .join('\n');
}

function view(name: string, from: TableDef): string {
  const shown = from.columns.filter((c) => !sourceColumns.includes(c.name)).map((c) => c.name);
  return `CREATE VIEW IF NOT EXISTS ${name} AS SELECT ${shown.join(', ')} FROM ${from.name} FINAL`;
}

const current = (version: string): Dialect => ({
  name: 'current',
  version,
  columnType: (t) => t,
  createTable: (def) => render(def, (t) => t, true),
  createView: view,
  insertSettings: (s) => s,
  insertBody: (_table, _columns, body) => ({ format: 'JSONCompactEachRow', body }),
});

function legacyType(type: string): string {
  return type
    .replace(/DateTime64\(\d+(?:,\s*('[^']*'))?\)/g, (_m, tz: string | undefined) =>
      tz === undefined ? 'DateTime' : `DateTime(${tz})`,
    )
    .replace(/Map\([^()]*\)/g, 'String')
    .replace(/LowCardinality\(([^()]*(?:\([^()]*\))?)\)/g, '$1');
}

/** Converts one value for an old server: epoch milliseconds to seconds, maps to JSON text. */
function legacyValue(type: string, v: unknown): unknown {
  if (v === null || v === undefined) return v;
  if (type.includes('DateTime64'))
    return typeof v === 'number'
      ? Math.floor(v / 1000)
      : typeof v === 'string'
        ? v.slice(0, 19).replace('T', ' ')
        : v;
  if (type.startsWith('Map(')) return JSON.stringify(v);
  return v;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

const legacy = (version: string): Dialect => ({
  name: 'legacy',
  version,
  columnType: legacyType,
  createTable: (def) => render(def, legacyType, false),
  createView: view,
  insertSettings(s) {
    if (s === undefined) return undefined;
    const { insert_deduplication_token: _, ...rest } = s;
    return Object.keys(rest).length === 0 ? undefined : rest;
  },
  insertBody(table, columns, body) {
    const def = tableDef(table);
    const types = columns.map((c) => def?.columns.find((x) => x.name === c)?.type ?? '');
    const lines = decoder
      .decode(body)
      .split('\n')
      .filter((l) => l !== '');
    const out = lines.map((line) => {
      const values = JSON.parse(line) as unknown[];
      const row: Record<string, unknown> = {};
      columns.forEach((c, i) => (row[c] = legacyValue(types[i] ?? '', values[i])));
      return JSON.stringify(row);
    });
    return { format: 'JSONEachRow', body: encoder.encode(out.join('\n')) };
  },
});

/** The dialect of a server from its `version()`; chDB is always current. */
export function dialectFor(version: string): Dialect {
  if (version === 'chdb') return current(version);
  const [major, minor] = parseVersion(version);
  return major > 22 || (major === 22 && minor >= 8) ? current(version) : legacy(version);
}
