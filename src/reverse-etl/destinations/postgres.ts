/**
 * A PostgreSQL table as a sync destination: the operational database (PGlite embedded, or PostgreSQL),
 * or another PostgreSQL server by URL. A batch is one transaction: set-based statements over unnest()
 * arrays (one round trip per statement, whatever the batch size), plus a marker row in
 * `farebox_sync_batches`, so a batch is applied once even when a crash kept the run from recording it.
 * Inserts and upserts go in with COPY (new rows straight into the table, changed ones through a staging
 * table and INSERT … ON CONFLICT); updates and deletes with set-based statements over unnest() arrays.
 *
 * A row PostgreSQL refuses (a constraint, a value that does not fit its column) is found by halving the
 * batch under savepoints, recorded as rejected, and the rest of the batch is applied.
 */
import { createHash } from 'node:crypto';
import { FareboxError } from '../../errors/index.ts';
import { sqlState, type OpsDb, type Queryable } from '../../opsdb/index.ts';
import type {
  BatchContext,
  BatchResult,
  Destination,
  DestinationDef,
  SyncColumn,
  SyncRow,
} from '../types.ts';

type PostgresDef = Extract<DestinationDef, { kind: 'postgres' }>;

const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const qualified = (table: string): string => table.split('.').map(ident).join('.');

/** A ClickHouse type as the PostgreSQL column type a created table gets. */
export function postgresType(chType: string): string {
  const t = chType
    .replace(/^(?:Nullable|LowCardinality)\((.*)\)$/, '$1')
    .replace(/^(?:Nullable|LowCardinality)\((.*)\)$/, '$1');
  if (/^(Int8|Int16|UInt8)$/.test(t)) return 'smallint';
  if (/^(Int32|UInt16)$/.test(t)) return 'integer';
  if (/^(Int64|UInt32)$/.test(t)) return 'bigint';
  if (/^(UInt64|Int128|UInt128|Int256|UInt256)$/.test(t)) return 'numeric';
  if (t === 'Float32') return 'real';
  if (t === 'Float64') return 'double precision';
  const decimal = /^Decimal(?:32|64|128|256)?\((\d+),\s*(\d+)\)$/.exec(t);
  if (decimal !== null) return `numeric(${decimal[1]}, ${decimal[2]})`;
  if (/^Decimal/.test(t)) return 'numeric';
  if (/^Date(32)?$/.test(t)) return 'date';
  if (/^DateTime/.test(t)) return 'timestamptz';
  if (t === 'Bool') return 'boolean';
  if (t === 'UUID') return 'uuid';
  return 'text';
}

/** Data errors (class 22) and constraint violations (class 23) are about rows; anything else is not. */
const rowError = (e: unknown): boolean => /^2[23]/.test(sqlState(e) ?? '');

const rootMessage = (e: unknown): string => {
  let x: unknown = e;
  while (x instanceof Error && x.cause instanceof Error) x = x.cause;
  return x instanceof Error ? x.message : String(x);
};

const markers = 'farebox_sync_batches';

const needsEscape = /[\\\t\n\r]/;
const escapes: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value in COPY's text format: \N for NULL, backslash escapes for the separators. */
const copyValue = (v: string | null | undefined): string =>
  v === null || v === undefined
    ? '\\N'
    : needsEscape.test(v)
      ? v.replace(/[\\\t\n\r]/g, (ch) => escapes[ch] as string)
      : v;

/** Rows as COPY text, columns in the given order. */
export function copyText(columns: SyncColumn[], rows: SyncRow[]): string {
  if (rows.every((r) => r.copyLine !== undefined)) return `${rows.map((r) => r.copyLine).join('\n')}\n`;
  const names = columns.map((c) => c.name);
  const lines: string[] = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const values = (rows[i] as SyncRow).values;
    let line = copyValue(values[names[0] as string]);
    for (let j = 1; j < names.length; j++) line += `\t${copyValue(values[names[j] as string])}`;
    lines[i] = line;
  }
  return `${lines.join('\n')}\n`;
}

export interface PostgresDeps {
  db: OpsDb;
  /** Whether close() closes db (a database opened for this sync, not the shared operational one). */
  owned: boolean;
}

export function createPostgresDestination(def: PostgresDef, deps: PostgresDeps): Destination {
  const { db } = deps;
  const table = qualified(def.table);
  /** The destination's column types, as array casts for unnest(). */
  let types = new Map<string, string>();

  async function prepare(ctx: Omit<BatchContext, 'runId' | 'batchNo'>): Promise<void> {
    await db.query(
      `CREATE TABLE IF NOT EXISTS ${markers} (sync text, run_id bigint, batch_no integer, rejected jsonb NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sync, run_id, batch_no))`,
    );
    const keys = ctx.columns.filter((c) => c.key).map((c) => c.name);
    let found = await columnsOf();
    if (found.size === 0 && def.createTable) {
      const cols = ctx.columns.map(
        (c) => `${ident(c.name)} ${postgresType(c.chType)}${c.key ? ' NOT NULL' : ''}`,
      );
      await db.query(
        `CREATE TABLE IF NOT EXISTS ${table} (${cols.join(', ')}, PRIMARY KEY (${keys.map(ident).join(', ')})) WITH (fillfactor = 90)`,
      );
      found = await columnsOf();
    }
    if (found.size === 0)
      throw new FareboxError(
        'sync_invalid',
        `sync ${ctx.sync}: the destination table ${def.table} does not exist`,
        {
          hint: 'create it, or set destination.postgres.create_table: true to have farebox create it from the source columns',
        },
      );
    const missing = ctx.columns.filter((c) => !found.has(c.name)).map((c) => c.name);
    if (missing.length > 0)
      throw new FareboxError(
        'sync_schema_changed',
        `sync ${ctx.sync}: the destination table ${def.table} has no column ${missing.join(', ')}`,
        {
          hint: `add ${missing.length === 1 ? 'it' : 'them'} (ALTER TABLE ${def.table} ADD COLUMN …) or change the sync's mapping`,
        },
      );
    types = found;
    if (ctx.mode !== 'insert' && !(await uniqueOn(keys)))
      throw new FareboxError(
        'sync_invalid',
        `sync ${ctx.sync}: ${def.table} has no unique index on (${keys.join(', ')}), which mode ${ctx.mode} matches rows by`,
        { hint: `CREATE UNIQUE INDEX ON ${def.table} (${keys.join(', ')})` },
      );
  }

  async function columnsOf(): Promise<Map<string, string>> {
    const rows = await db.query<{ name: string; type: string }>(
      `SELECT a.attname AS name, format_type(a.atttypid, NULL) AS type FROM pg_attribute a
       WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
      [table],
    );
    return new Map(rows.map((r) => [r.name, r.type]));
  }

  async function uniqueOn(keys: string[]): Promise<boolean> {
    const rows = await db.query<{ cols: string[] }>(
      `SELECT array_agg(a.attname::text ORDER BY a.attname) AS cols FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = to_regclass($1) AND i.indisunique GROUP BY i.indexrelid`,
      [table],
    );
    const want = [...keys].sort().join(',');
    return rows.some((r) => [...r.cols].sort().join(',') === want);
  }

  /**
   * `unnest($1::int[], $2::text[]) AS v("a", "b")` over the given columns of the rows; with ordinality,
   * v.fbx_ord is the row's place (from 1).
   */
  function unnest(columns: SyncColumn[], rows: SyncRow[], params: unknown[], ordinality = false): string {
    const args = columns.map((c) => {
      params.push(rows.map((r) => r.values[c.name] ?? null));
      return `$${params.length}::${types.get(c.name) ?? 'text'}[]`;
    });
    const names = columns.map((c) => ident(c.name));
    return ordinality
      ? `unnest(${args.join(', ')}) WITH ORDINALITY AS v(${[...names, 'fbx_ord'].join(', ')})`
      : `unnest(${args.join(', ')}) AS v(${names.join(', ')})`;
  }

  /** How an insert meets existing rows: none in insert mode (a duplicate is refused), else an upsert. */
  function conflictClause(ctx: BatchContext): string {
    if (ctx.mode === 'insert') return '';
    const keys = ctx.columns.filter((c) => c.key).map((c) => ident(c.name));
    const rest = ctx.columns.filter((c) => !c.key).map((c) => ident(c.name));
    return ` ON CONFLICT (${keys.join(', ')}) DO ${
      rest.length === 0 ? 'NOTHING' : `UPDATE SET ${rest.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`
    }`;
  }

  /** Applies rows (all of one kind of statement) in one statement; returns the keys it did not find. */
  async function apply(tx: Queryable, rows: SyncRow[], ctx: BatchContext): Promise<Set<string>> {
    const keys = ctx.columns.filter((c) => c.key);
    const match = keys.map((k) => `t.${ident(k.name)} = v.${ident(k.name)}`).join(' AND ');
    const params: unknown[] = [];
    const deleted = rows.filter((r) => r.op === 'deleted');
    const written = rows.filter((r) => r.op !== 'deleted');
    if (deleted.length > 0)
      await tx.query(`DELETE FROM ${table} t USING ${unnest(keys, deleted, params)} WHERE ${match}`, params);
    if (written.length === 0) return new Set();
    const cols = ctx.columns.map((c) => ident(c.name)).join(', ');
    const values: unknown[] = [];
    if (ctx.mode === 'update') {
      const set = ctx.columns.filter((c) => !c.key).map((c) => `${ident(c.name)} = v.${ident(c.name)}`);
      const found = await tx.query<{ ord: string }>(
        `UPDATE ${table} t SET ${set.join(', ')} FROM ${unnest(ctx.columns, written, values, true)} WHERE ${match} RETURNING v.fbx_ord AS ord`,
        values,
      );
      const hit = new Set(found.map((f) => Number(f.ord) - 1));
      return new Set(written.filter((_, i) => !hit.has(i)).map((r) => r.key));
    }
    const source = unnest(ctx.columns, written, values);
    await tx.query(`INSERT INTO ${table} (${cols}) SELECT * FROM ${source}${conflictClause(ctx)}`, values);
    return new Set();
  }

  /**
   * The fast way, for insert, upsert and mirror: rows go in with COPY. New rows straight into the table
   * (unless one is there already); otherwise into a staging table, merged with INSERT … ON CONFLICT.
   */
  async function applyByCopy(tx: Queryable, rows: SyncRow[], ctx: BatchContext): Promise<void> {
    const keys = ctx.columns.filter((c) => c.key);
    const deleted = rows.filter((r) => r.op === 'deleted');
    const written = rows.filter((r) => r.op !== 'deleted');
    if (deleted.length > 0) {
      const params: unknown[] = [];
      const match = keys.map((k) => `t.${ident(k.name)} = v.${ident(k.name)}`).join(' AND ');
      await tx.query(`DELETE FROM ${table} t USING ${unnest(keys, deleted, params)} WHERE ${match}`, params);
    }
    if (written.length === 0) return;
    const cols = ctx.columns.map((c) => ident(c.name));
    const text = copyText(ctx.columns, written);
    if (ctx.mode === 'insert') return tx.copyFrom(table, cols, text);
    if (written.every((r) => r.op === 'added')) {
      const name = `fbx_${++savepoint}`;
      await tx.query(`SAVEPOINT ${name}`);
      try {
        await tx.copyFrom(table, cols, text);
        await tx.query(`RELEASE SAVEPOINT ${name}`);
        return;
      } catch (e) {
        await tx.query(`ROLLBACK TO SAVEPOINT ${name}`);
        if (sqlState(e) !== '23505') throw e;
      }
    }
    const stage = ident(
      `fbx_stage_${createHash('sha256')
        .update(`${def.table}|${cols.join(',')}`)
        .digest('hex')
        .slice(0, 12)}`,
    );
    // Emptied by every commit (this transaction's included); created once per connection.
    await tx.query(
      `CREATE TEMP TABLE IF NOT EXISTS ${stage} ON COMMIT DELETE ROWS AS SELECT ${cols.join(', ')} FROM ${table} WITH NO DATA`,
    );
    await tx.copyFrom(stage, cols, text);
    await tx.query(
      `INSERT INTO ${table} (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM ${stage}${conflictClause(ctx)}`,
    );
  }

  let savepoint = 0;
  /** Applies what it can under a savepoint, halving on a row error down to the rows at fault. */
  async function applyBisecting(
    tx: Queryable,
    rows: SyncRow[],
    ctx: BatchContext,
    rejected: BatchResult['rejected'],
  ): Promise<void> {
    const name = `fbx_${++savepoint}`;
    await tx.query(`SAVEPOINT ${name}`);
    try {
      const notFound = await apply(tx, rows, ctx);
      for (const key of notFound)
        rejected.push({
          key,
          error: `no row in ${def.table} has this key (mode update changes existing rows only)`,
        });
      await tx.query(`RELEASE SAVEPOINT ${name}`);
    } catch (e) {
      await tx.query(`ROLLBACK TO SAVEPOINT ${name}`);
      if (!rowError(e)) throw e;
      if (rows.length === 1) {
        rejected.push({ key: (rows[0] as SyncRow).key, error: rootMessage(e) });
        return;
      }
      const half = Math.ceil(rows.length / 2);
      await applyBisecting(tx, rows.slice(0, half), ctx, rejected);
      await applyBisecting(tx, rows.slice(half), ctx, rejected);
    }
  }

  return {
    describe: `postgres ${def.table}`,
    prepare,
    async applied(ctx) {
      const [row] = await db.query<{ rejected: BatchResult['rejected'] }>(
        `SELECT rejected FROM ${markers} WHERE sync = $1 AND run_id = $2 AND batch_no = $3`,
        [ctx.sync, ctx.runId, ctx.batchNo],
      );
      return row === undefined ? undefined : { rejected: row.rejected };
    },
    async write(rows, ctx) {
      try {
        return await db.transaction(async (tx) => {
          const rejected: BatchResult['rejected'] = [];
          if (ctx.mode === 'update') await applyBisecting(tx, rows, ctx, rejected);
          else {
            await tx.query('SAVEPOINT fbx_copy');
            try {
              await applyByCopy(tx, rows, ctx);
              await tx.query('RELEASE SAVEPOINT fbx_copy');
            } catch (e) {
              // A row PostgreSQL refuses: find it (and apply the rest) row set by row set.
              await tx.query('ROLLBACK TO SAVEPOINT fbx_copy');
              if (!rowError(e)) throw e;
              await applyBisecting(tx, rows, ctx, rejected);
            }
          }
          await tx.query(
            `INSERT INTO ${markers} (sync, run_id, batch_no, rejected) VALUES ($1, $2, $3, $4)`,
            [ctx.sync, ctx.runId, ctx.batchNo, JSON.stringify(rejected)],
          );
          return { rejected };
        });
      } catch (e) {
        throw new FareboxError(
          'sync_destination',
          `sync ${ctx.sync}: batch ${ctx.batchNo} into ${def.table} failed: ${rootMessage(e)}`,
          { cause: e, retriable: true, hint: 'the next run resumes with this batch' },
        );
      }
    },
    close: () => (deps.owned ? db.close() : Promise.resolve()),
  };
}
