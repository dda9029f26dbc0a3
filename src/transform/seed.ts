/**
 * Seeds: a CSV file loaded into a table, typed from `column_types` or inferred from the values, built
 * under a temporary name and swapped in like any table.
 */
import fs from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { FareboxError } from '../errors/index.ts';
import { buildTable, type BuildResult } from './materialize.ts';
import { quoteIdent } from './relation.ts';
import { qualified, type Db } from './sql.ts';
import type { SeedNode } from './types.ts';

const patterns: [RegExp, string][] = [
  [/^-?\d{1,18}$/, 'Int64'],
  [/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, 'Float64'],
  [/^(true|false)$/i, 'Bool'],
  [/^\d{4}-\d{2}-\d{2}$/, 'Date'],
  [/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$/, 'DateTime'],
  [/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}\.\d{1,9}$/, 'DateTime64(6)'],
];

/**
 * The narrowest type every non-empty value fits (integers widen to floats), Nullable when a cell is
 * empty, String when nothing else fits — close to dbt's agate inference.
 */
export function inferType(values: readonly string[]): string {
  const present = values.filter((v) => v !== '');
  let type = 'String';
  if (present.length > 0) {
    const fits = patterns.filter(([re]) => present.every((v) => re.test(v))).map(([, t]) => t);
    type = fits[0] ?? 'String';
  }
  return present.length < values.length ? `Nullable(${type})` : type;
}

export interface SeedTable {
  columns: { name: string; type: string }[];
  rows: string[][];
}

export async function readSeed(node: SeedNode): Promise<SeedTable> {
  const text = await fs.readFile(node.absolutePath, 'utf8');
  const delimiter = typeof node.config.delimiter === 'string' ? node.config.delimiter : ',';
  let records: string[][];
  try {
    const parsed: unknown = parse(text, { delimiter, skip_empty_lines: true, bom: true });
    records = parsed as string[][];
  } catch (e) {
    throw new FareboxError(
      'transform_invalid',
      `seed ${node.name} (${node.originalFilePath}) is not valid CSV: ${e instanceof Error ? e.message : String(e)}`,
      { where: node.originalFilePath },
    );
  }
  const [header, ...rows] = records;
  if (header === undefined)
    throw new FareboxError('transform_invalid', `seed ${node.name} (${node.originalFilePath}) is empty`, {
      where: node.originalFilePath,
    });
  const given = (node.config.column_types ?? {}) as Record<string, string>;
  const columns = header.map((name, i) => ({
    name,
    type: given[name] ?? inferType(rows.map((r) => r[i] ?? '')),
  }));
  return { columns, rows };
}

/** A cell as JSON for JSONCompactEachRow: empty is NULL, Bool is a literal, anything else a string ClickHouse parses. */
function cell(value: string, type: string): string {
  if (value === '' && type.startsWith('Nullable')) return 'null';
  if (/Bool/.test(type)) return /^true$/i.test(value) ? 'true' : 'false';
  return JSON.stringify(value);
}

export async function loadSeed(db: Db, node: SeedNode): Promise<BuildResult> {
  const seed = await readSeed(node);
  const tmp = `${node.alias}__farebox_seed`;
  const tmpQ = qualified(node.schema, tmp);
  await db.ensureSchema(node.schema);
  await db.command(`DROP TABLE IF EXISTS ${tmpQ}`);
  await db.command(
    `CREATE TABLE ${tmpQ} (${seed.columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')}) ENGINE = Memory`,
  );
  try {
    const names = seed.columns.map((c) => quoteIdent(c.name)).join(', ');
    for (let i = 0; i < seed.rows.length; i += 10_000) {
      const body = seed.rows
        .slice(i, i + 10_000)
        .map((r) => `[${seed.columns.map((c, j) => cell(r[j] ?? '', c.type)).join(',')}]`)
        .join('\n');
      await db.command(`INSERT INTO ${tmpQ} (${names}) FORMAT JSONCompactEachRow\n${body}`);
    }
    const built = await buildTable(db, node, `SELECT ${names} FROM ${tmpQ}`);
    return { ...built, message: `INSERT ${seed.rows.length}`, rowsAffected: seed.rows.length };
  } finally {
    await db.command(`DROP TABLE IF EXISTS ${tmpQ}`);
  }
}
