/**
 * Materializations in ClickHouse SQL. A table is built under `<name>__farebox_tmp` and exchanged with the
 * live one in one statement, so a reader sees either the old rows or the new, never an empty or missing
 * table. Incremental runs stage the new rows, then append them (or first delete the rows whose
 * `unique_key` they carry).
 */
import { FareboxError } from '../errors/index.ts';
import { qualified, type Db } from './sql.ts';
import type { Node, NodeConfig } from './types.ts';
import { textList, textOf } from './values.ts';

export interface BuildResult {
  /** dbt's adapter_response._message. */
  message: string;
  rowsAffected: number | null;
  /** Something people should know about how it was built. */
  note?: string;
}

const list = textList;

function settingValue(v: unknown): string {
  return typeof v === 'number' || typeof v === 'boolean'
    ? String(v)
    : `'${textOf(v).replaceAll("'", "\\'")}'`;
}

/** ENGINE, PARTITION BY, ORDER BY … from dbt-clickhouse's config keys (engine, order_by, partition_by, …). */
export function tableClauses(config: NodeConfig): string {
  const engine = typeof config.engine === 'string' && config.engine !== '' ? config.engine : 'MergeTree()';
  const parts = [`ENGINE = ${engine}`];
  if (/MergeTree/i.test(engine)) {
    const partition = list(config.partition_by);
    if (partition !== undefined) parts.push(`PARTITION BY (${partition.join(', ')})`);
    parts.push(`ORDER BY (${(list(config.order_by) ?? ['tuple()']).join(', ')})`);
    const primary = list(config.primary_key);
    if (primary !== undefined) parts.push(`PRIMARY KEY (${primary.join(', ')})`);
    if (typeof config.ttl === 'string' && config.ttl !== '') parts.push(`TTL ${config.ttl}`);
  }
  const settings = config.settings;
  if (settings !== null && typeof settings === 'object' && Object.keys(settings).length > 0)
    parts.push(
      `SETTINGS ${Object.entries(settings)
        .map(([k, v]) => `${k} = ${settingValue(v)}`)
        .join(', ')}`,
    );
  return parts.join('\n');
}

/** Puts the freshly built `tmp` in place of `name` atomically (EXCHANGE TABLES), dropping the old rows. */
export async function swapIn(db: Db, schema: string, tmp: string, name: string): Promise<string | undefined> {
  const [tmpQ, nameQ] = [qualified(schema, tmp), qualified(schema, name)];
  const kind = await db.kindOf(schema, name);
  if (kind === 'table') {
    try {
      await db.command(`EXCHANGE TABLES ${tmpQ} AND ${nameQ}`);
    } catch (e) {
      if (
        !(e instanceof FareboxError) ||
        !/EXCHANGE|NOT_IMPLEMENTED|not supported|Syntax error/i.test(e.message)
      )
        throw e;
      // Ordinary databases (old servers) cannot exchange; both renames in one statement are the next best.
      const old = qualified(schema, `${name}__farebox_old`);
      await db.command(`DROP TABLE IF EXISTS ${old}`);
      await db.command(`RENAME TABLE ${nameQ} TO ${old}, ${tmpQ} TO ${nameQ}`);
      await db.command(`DROP TABLE ${old}`);
      return 'swapped with RENAME: this database engine cannot EXCHANGE TABLES atomically';
    }
    await db.command(`DROP TABLE ${tmpQ}`);
    return undefined;
  }
  if (kind === 'view') await db.command(`DROP VIEW ${nameQ}`);
  await db.command(`RENAME TABLE ${tmpQ} TO ${nameQ}`);
  return kind === 'view' ? 'replaced a view of the same name' : undefined;
}

async function count(db: Db, schema: string, name: string): Promise<number> {
  const rows = await db.rows<{ n: string | number }>(`SELECT count() AS n FROM ${qualified(schema, name)}`);
  return Number(rows[0]?.n ?? 0);
}

export async function buildView(db: Db, node: Node, sql: string): Promise<BuildResult> {
  await db.ensureSchema(node.schema);
  if ((await db.kindOf(node.schema, node.alias)) === 'table')
    await db.command(`DROP TABLE ${qualified(node.schema, node.alias)}`);
  await db.command(`CREATE OR REPLACE VIEW ${qualified(node.schema, node.alias)} AS\n${sql}`);
  return { message: 'OK', rowsAffected: null };
}

export async function buildTable(db: Db, node: Node, sql: string): Promise<BuildResult> {
  await db.ensureSchema(node.schema);
  const tmp = `${node.alias}__farebox_tmp`;
  await db.command(`DROP TABLE IF EXISTS ${qualified(node.schema, tmp)}`);
  await db.command(`CREATE TABLE ${qualified(node.schema, tmp)}\n${tableClauses(node.config)}\nAS\n${sql}`);
  const rows = await count(db, node.schema, tmp);
  const note = await swapIn(db, node.schema, tmp, node.alias);
  return { message: 'OK', rowsAffected: rows, ...(note === undefined ? {} : { note }) };
}

/** `append` without a unique_key, `delete+insert` with one, unless incremental_strategy says otherwise. */
export function incrementalStrategy(node: Node): 'append' | 'delete+insert' {
  const given = node.config.incremental_strategy;
  const keys = list(node.config.unique_key);
  const strategy = given ?? (keys === undefined ? 'append' : 'delete+insert');
  if (strategy !== 'append' && strategy !== 'delete+insert')
    throw new FareboxError(
      'transform_invalid',
      `model ${node.name} (${node.originalFilePath}) asks for incremental_strategy '${textOf(strategy)}'; farebox runs 'append' and 'delete+insert'`,
      { where: node.originalFilePath },
    );
  if (strategy === 'delete+insert' && keys === undefined)
    throw new FareboxError(
      'transform_invalid',
      `model ${node.name} (${node.originalFilePath}) uses delete+insert without a unique_key`,
      { where: node.originalFilePath, hint: "add unique_key='…' to its config()" },
    );
  return strategy;
}

/** dbt's `incremental_predicates`: SQL conditions on the existing table that bound what delete+insert deletes. */
function predicatesOf(node: Node): string[] {
  const given = node.config.incremental_predicates;
  if (given === undefined || given === null) return [];
  const predicates: unknown[] = Array.isArray(given) ? given : [given];
  if (predicates.every((p): p is string => typeof p === 'string' && p.trim() !== '')) return predicates;
  throw new FareboxError(
    'transform_invalid',
    `model ${node.name} (${node.originalFilePath}) has incremental_predicates that are not SQL conditions: ${JSON.stringify(given)}`,
    {
      where: node.originalFilePath,
      hint: 'give a list of conditions on the existing table, e.g. incremental_predicates=["pickup_at >= now() - interval 7 day"]',
    },
  );
}

/**
 * An incremental run on an existing table: the new rows are staged in `<name>__farebox_new`, the rows with
 * the same unique_key removed from the table (a lightweight DELETE, synchronous on MergeTree tables, and
 * skipped when no existing row has one of the keys: a DELETE rewrites every part it touches), and the
 * staged rows inserted by column name. `incremental_predicates` narrow both the lookup and the DELETE to
 * the existing rows they match, so that ClickHouse reads only the partitions and index ranges concerned.
 * Between the delete and the insert a reader can miss those keys.
 */
export async function insertIncrement(db: Db, node: Node, sql: string): Promise<BuildResult> {
  const strategy = incrementalStrategy(node);
  const predicates = predicatesOf(node);
  const staged = `${node.alias}__farebox_new`;
  const [stagedQ, targetQ] = [qualified(node.schema, staged), qualified(node.schema, node.alias)];
  await db.command(`DROP TABLE IF EXISTS ${stagedQ}`);
  await db.command(`CREATE TABLE ${stagedQ} ENGINE = MergeTree ORDER BY tuple() AS\n${sql}`);
  try {
    const existing = await db.columnsOf(node.schema, node.alias);
    const fresh = new Set(await db.columnsOf(node.schema, staged));
    const columns = existing.filter((c) => fresh.has(c)).map((c) => `\`${c}\``);
    const rows = await count(db, node.schema, staged);
    if (strategy === 'delete+insert' && rows > 0) {
      const keys = list(node.config.unique_key) ?? [];
      const key = keys.length === 1 ? (keys[0] as string) : `(${keys.join(', ')})`;
      const where = [
        `${key} IN (SELECT ${keys.join(', ')} FROM ${stagedQ})`,
        ...predicates.map((p) => `(${p})`),
      ];
      // A large key set slows index analysis more than it prunes: the predicates do the pruning.
      const [filter, settings] = [
        `WHERE ${where.join(' AND ')}`,
        'SETTINGS use_index_for_in_with_subqueries = 0',
      ];
      const found = await db.rows(`SELECT 1 FROM ${targetQ} ${filter} LIMIT 1 ${settings}`);
      if (found.length > 0) await db.command(`DELETE FROM ${targetQ} ${filter} ${settings}`);
    }
    if (rows > 0)
      await db.command(
        `INSERT INTO ${targetQ} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM ${stagedQ}`,
      );
    return { message: 'OK', rowsAffected: rows };
  } finally {
    await db.command(`DROP TABLE IF EXISTS ${stagedQ}`);
  }
}
