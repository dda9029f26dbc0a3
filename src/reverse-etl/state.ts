/**
 * A sync's bookkeeping in the warehouse: the plan of a run (the diff, frozen when the run starts, so a
 * resumed run sends the same batches), the batches sent, the rows rejected, the run's record and the
 * key → hash state the next diff is computed against.
 */
import { sqlString, type Warehouse } from '../warehouse/index.ts';
import { keySeparator, keyedSource, planKey, sourceKeys, valueTexts, type MappedColumn } from './source.ts';
import { parseBatch } from './tsv.ts';
import type { Op, SyncDef, SyncRow } from './types.ts';

export const planTable = (sync: string): string => `_sync_plan_${sync}`;

export interface RunRecord {
  sync: string;
  runId: number;
  /**
   * running, or failed after planning: the next run resumes its plan. refused: stopped before planning
   * (schema change, bad keys). abandoned: cut off, then the sync changed, so it was planned anew.
   */
  status: 'running' | 'succeeded' | 'failed' | 'refused' | 'abandoned';
  startedAt: number;
  finishedAt: number;
  added: number;
  changed: number;
  deleted: number;
  skipped: number;
  failed: number;
  batches: number;
  error: string;
  /** The mapped columns and the definition's fingerprint, as JSON: checked by the next run. */
  sourceSchema: string;
}

const runColumns = [
  'sync',
  'run_id',
  'status',
  'started_at',
  'finished_at',
  'added',
  'changed',
  'deleted',
  'skipped',
  'failed',
  'batches',
  'error',
  'source_schema',
  'updated_ms',
];

async function rows<T>(warehouse: Warehouse, query: string): Promise<T[]> {
  const result = await warehouse.client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

const encode = (lines: unknown[][]): Uint8Array =>
  new TextEncoder().encode(lines.map((l) => JSON.stringify(l)).join('\n'));

let lastUpdate = 0;
/** Newer than any earlier record of this process, so the run row's ReplacingMergeTree keeps the last. */
const updateStamp = (): number => (lastUpdate = Math.max(lastUpdate + 1, Date.now()));

export async function saveRun(warehouse: Warehouse, run: RunRecord): Promise<void> {
  await warehouse.insertEncoded({
    table: 'sync_runs',
    columns: runColumns,
    body: encode([
      [
        run.sync,
        run.runId,
        run.status,
        run.startedAt,
        run.finishedAt,
        run.added,
        run.changed,
        run.deleted,
        run.skipped,
        run.failed,
        run.batches,
        run.error,
        run.sourceSchema,
        updateStamp(),
      ],
    ]),
  });
}

interface RunRow {
  run_id: string;
  status: RunRecord['status'];
  started_at: string;
  finished_at: string;
  added: string;
  changed: string;
  deleted: string;
  skipped: string;
  failed: string;
  batches: string;
  error: string;
  source_schema: string;
}

/** A UTC DateTime as ClickHouse prints it ('2026-11-25 13:43:01.123', or whole seconds on old servers). */
const utcMs = (text: string): number => (text === '' ? 0 : Date.parse(`${text.replace(' ', 'T')}Z`));

const toRun = (sync: string, r: RunRow): RunRecord => ({
  sync,
  runId: Number(r.run_id),
  status: r.status,
  startedAt: utcMs(r.started_at),
  finishedAt: utcMs(r.finished_at),
  added: Number(r.added),
  changed: Number(r.changed),
  deleted: Number(r.deleted),
  skipped: Number(r.skipped),
  failed: Number(r.failed),
  batches: Number(r.batches),
  error: r.error,
  sourceSchema: r.source_schema,
});

/** A sync's runs, newest first. */
export async function listRuns(warehouse: Warehouse, sync: string, limit = 20): Promise<RunRecord[]> {
  const found = await rows<RunRow>(
    warehouse,
    `SELECT toString(run_id) AS run_id, status, toString(started_at) AS started_at,
       toString(finished_at) AS finished_at, added, changed, deleted, skipped,
       failed, batches, error, source_schema
     FROM sync_runs FINAL WHERE sync = ${sqlString(sync)} ORDER BY run_id DESC LIMIT ${limit}`,
  );
  return found.map((r) => toRun(sync, r));
}

/** A run the next run resumes: cut off, or failed after planning (it has a plan). */
export const unfinished = (run: RunRecord | undefined): boolean =>
  run !== undefined && (run.status === 'running' || run.status === 'failed');

/** The mapped columns as the last successful run saw them. */
export async function lastSucceeded(warehouse: Warehouse, sync: string): Promise<RunRecord | undefined> {
  const found = await rows<RunRow>(
    warehouse,
    `SELECT toString(run_id) AS run_id, status, '' AS started_at, '' AS finished_at, added, changed, deleted,
       skipped, failed, batches, error, source_schema
     FROM sync_runs FINAL WHERE sync = ${sqlString(sync)} AND status = 'succeeded' ORDER BY run_id DESC LIMIT 1`,
  );
  return found[0] === undefined ? undefined : toRun(sync, found[0]);
}

const planColumns = (columns: MappedColumn[]): string[] => columns.map((_, i) => `_fbx_c${i}`);

/**
 * Freezes the diff of a new run into the plan table: rows new to the sync or changed since it last sent
 * them, and with `deletes`, the keys the state holds that the source no longer has. Returns the counts.
 */
export async function createPlan(
  warehouse: Warehouse,
  def: SyncDef,
  columns: MappedColumn[],
  runId: number,
  deletes: boolean,
): Promise<Record<Op, number>> {
  const table = planTable(def.name);
  const cs = planColumns(columns);
  const { client, dialect } = warehouse;
  await client.command({ query: `DROP TABLE IF EXISTS ${table}` });
  await client.command({
    query: `CREATE TABLE ${table} (run_id UInt64, _fbx_key String, _fbx_khash UInt64, op ${dialect.columnType('LowCardinality(String)')}, _fbx_hash UInt64, ${cs
      .map((c) => `${c} Nullable(String)`)
      .join(', ')}) ENGINE = MergeTree ORDER BY (run_id, _fbx_key)`,
  });
  // Joined on a 64-bit hash of the key's values: a hash table of numbers, and no text made for rows that
  // did not change. Two keys with one hash (a chance of about n² / 2⁶⁵) can only make a row look changed
  // and be sent again, never hide a change: that would also take the two rows' hashes to agree.
  const current = `SELECT key, khash, hash FROM (SELECT key, khash, hash, deleted FROM sync_state FINAL WHERE sync = ${sqlString(def.name)}) WHERE deleted = 0`;
  const state = `SELECT khash AS _fbx_khash, hash AS _fbx_old_hash, 1 AS _fbx_present FROM (${current})`;
  await client.command({
    query: `INSERT INTO ${table} (run_id, _fbx_key, _fbx_khash, op, _fbx_hash, ${cs.join(', ')})
      SELECT ${runId}, ${planKey(def, columns)}, _fbx_khash, if(_fbx_present = 1, 'changed', 'added'), _fbx_hash, ${valueTexts(def, columns).join(', ')}
      FROM (${keyedSource(def, columns, dialect.name === 'legacy')}) AS s ANY LEFT JOIN (${state}) AS st USING (_fbx_khash)
      WHERE _fbx_present = 0 OR _fbx_old_hash != _fbx_hash`,
  });
  if (deletes) {
    const keyParts = columns.map((c, i) => {
      if (!c.key) return `NULL AS _fbx_c${i}`;
      if (def.primaryKey.length === 1) return `_fbx_key AS _fbx_c${i}`;
      return `splitByString('${keySeparator}', _fbx_key)[${def.primaryKey.indexOf(c.from) + 1}] AS _fbx_c${i}`;
    });
    await client.command({
      query: `INSERT INTO ${table} (run_id, _fbx_key, _fbx_khash, op, _fbx_hash, ${cs.join(', ')})
        SELECT ${runId}, _fbx_key, khash, 'deleted', 0, ${keyParts.join(', ')}
        FROM (SELECT key AS _fbx_key, khash FROM (${current})) WHERE _fbx_key NOT IN (${sourceKeys(def, columns)})`,
    });
  }
  const counts = await rows<{ op: Op; n: string }>(
    warehouse,
    `SELECT op, count() AS n FROM ${table} WHERE run_id = ${runId} GROUP BY op`,
  );
  const by = (op: Op): number => Number(counts.find((c) => c.op === op)?.n ?? 0);
  return { added: by('added'), changed: by('changed'), deleted: by('deleted') };
}

const opList = (ops: Op[]): string => ops.map(sqlString).join(', ');

/** The next batch of the plan after `afterKey` (keys in byte order), for the ops the sync sends. */
export async function readBatch(
  warehouse: Warehouse,
  def: SyncDef,
  columns: MappedColumn[],
  runId: number,
  afterKey: string | undefined,
): Promise<SyncRow[]> {
  const result = await warehouse.client.query({
    query: `SELECT _fbx_key, op, ${planColumns(columns).join(', ')} FROM ${planTable(def.name)}
      WHERE run_id = ${runId} AND op IN (${opList(def.send)})${afterKey === undefined ? '' : ` AND _fbx_key > ${sqlString(afterKey)}`}
      ORDER BY _fbx_key LIMIT ${def.batchRows}`,
    format: 'TabSeparated',
  });
  return parseBatch(await result.text(), columns);
}

/** Where a resumed run goes on: its batches so far and the last key they covered. */
export async function progress(
  warehouse: Warehouse,
  sync: string,
  runId: number,
): Promise<{ batches: number; lastKey: string | undefined }> {
  const [row] = await rows<{ n: string; last: string }>(
    warehouse,
    `SELECT count() AS n, argMax(last_key, batch_no) AS last FROM (SELECT batch_no, last_key FROM sync_batches FINAL WHERE sync = ${sqlString(sync)} AND run_id = ${runId})`,
  );
  const n = Number(row?.n ?? 0);
  return { batches: n, lastKey: n === 0 ? undefined : row?.last };
}

/**
 * After the destination took a batch: the rows it rejected go into sync_rejects, then the batch into
 * sync_batches, which a resumed run goes on from. (The state is written once per run, by recordState.)
 */
export async function recordBatch(
  warehouse: Warehouse,
  def: SyncDef,
  runId: number,
  batch: { batchNo: number; lastKey: string; rows: SyncRow[] },
  rejected: { key: string; error: string }[],
): Promise<void> {
  const now = Date.now();
  if (rejected.length > 0) {
    const byKey = new Map(batch.rows.map((r) => [r.key, r]));
    await warehouse.insertEncoded({
      table: 'sync_rejects',
      columns: ['sync', 'run_id', 'key', 'op', 'error', 'row', 'at'],
      body: encode(
        rejected.map((r) => {
          const row = byKey.get(r.key);
          return [def.name, runId, r.key, row?.op ?? '', r.error, JSON.stringify(row?.values ?? {}), now];
        }),
      ),
    });
  }
  await warehouse.insertEncoded({
    table: 'sync_batches',
    columns: ['sync', 'run_id', 'batch_no', 'last_key', 'rows', 'failed', 'at'],
    body: encode([[def.name, runId, batch.batchNo, batch.lastKey, batch.rows.length, rejected.length, now]]),
  });
}

/**
 * Writes what a run sent into the state the next run's diff is computed against: the plan's rows in a key
 * range (after `afterKey`, through `throughKey`; open ends when not given), except those the destination
 * rejected. A run writes it in a few large inserts, not one per batch, so that the state stays a few
 * parts and the next diff stays fast. Until a run has written all of it, the run is unfinished: it is
 * resumed rather than planned anew.
 */
export async function recordState(
  warehouse: Warehouse,
  def: Pick<SyncDef, 'name' | 'send'>,
  runId: number,
  range: { afterKey?: string | undefined; throughKey?: string | undefined } = {},
): Promise<void> {
  const bounds = [
    range.afterKey === undefined ? '' : ` AND _fbx_key > ${sqlString(range.afterKey)}`,
    range.throughKey === undefined ? '' : ` AND _fbx_key <= ${sqlString(range.throughKey)}`,
  ].join('');
  await warehouse.client.command({
    query: `INSERT INTO sync_state (sync, key, khash, hash, deleted, run_id)
      SELECT ${sqlString(def.name)}, _fbx_key, _fbx_khash, _fbx_hash, op = 'deleted', run_id FROM ${planTable(def.name)}
      WHERE run_id = ${runId} AND op IN (${opList(def.send)})${bounds}
        AND _fbx_key NOT IN (SELECT key FROM sync_rejects WHERE sync = ${sqlString(def.name)} AND run_id = ${runId})`,
  });
}

/** Applied and rejected rows per op of a run, from its plan and its rejects. */
export async function runCounts(
  warehouse: Warehouse,
  def: SyncDef,
  runId: number,
  planned: Record<Op, number>,
): Promise<{ sent: Record<Op, number>; failed: number }> {
  const rejected = await rows<{ op: Op; n: string }>(
    warehouse,
    `SELECT op, count() AS n FROM (SELECT DISTINCT key, op FROM sync_rejects WHERE sync = ${sqlString(def.name)} AND run_id = ${runId}) GROUP BY op`,
  );
  const failed = (op: Op): number => Number(rejected.find((r) => r.op === op)?.n ?? 0);
  const sent = (op: Op): number => (def.send.includes(op) ? planned[op] - failed(op) : 0);
  return {
    sent: { added: sent('added'), changed: sent('changed'), deleted: sent('deleted') },
    failed: rejected.reduce((a, r) => a + Number(r.n), 0),
  };
}

export async function dropPlan(warehouse: Warehouse, sync: string): Promise<void> {
  await warehouse.client.command({ query: `DROP TABLE IF EXISTS ${planTable(sync)}` });
}
