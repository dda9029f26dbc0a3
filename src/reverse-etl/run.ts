/**
 * One sync run: plan the diff in the warehouse (or resume the plan of a run cut off earlier), send it in
 * batches, record each batch the destination took, and finish with the run's counts.
 *
 * Crash safety: the plan is frozen when the run starts and batches are read by key order, so a resumed
 * run sends exactly the batches the first one would have sent after its last recorded one. A batch the
 * destination applied but the run did not record is recognised by the destination (PostgreSQL keeps a
 * marker in the same transaction; HTTP receivers get the same idempotency key again).
 */
import { createHash } from 'node:crypto';
import { FareboxError } from '../errors/index.ts';
import type { Warehouse } from '../warehouse/index.ts';
import { sendPlan } from './send.ts';
import { checkKeys, describeSource, mapColumns, type MappedColumn } from './source.ts';
import {
  createPlan,
  dropPlan,
  lastSucceeded,
  progress,
  recordState,
  runCounts,
  saveRun,
  unfinished,
  listRuns,
  type RunRecord,
} from './state.ts';
import type { Destination, Op, SyncDef, SyncRunSummary } from './types.ts';

export interface RunOptions {
  /** Go on although the source's columns changed type or went away since the last successful run. */
  acceptSchemaChange?: boolean;
}

export interface RunDeps {
  warehouse: Warehouse;
  destination: Destination;
  say?: (line: string) => void;
  now?: () => number;
  /** Rows sent so far and in all, after each batch (a progress bar). */
  progress?: (sent: number, total: number) => void;
  /** Fault injection for tests: called after the destination took a batch, before it is recorded. */
  afterWrite?: (batchNo: number) => void | Promise<void>;
}

interface Schema {
  fingerprint: string;
  /** The ops the run sends (a cut-off run's recorded batches hold these). */
  send?: Op[];
  columns: { name: string; from: string; type: string }[];
}

/** What makes a plan: the definition's parts that change which rows are sent where, and how. */
function fingerprint(def: SyncDef, columns: MappedColumn[]): string {
  const parts = {
    source: def.source,
    primaryKey: def.primaryKey,
    mapping: columns.map((c) => [c.name, c.from, c.chType]),
    mode: def.mode,
    send: def.send,
    destination: def.destination,
    batchRows: def.batchRows,
  };
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

function schemaOf(def: SyncDef, columns: MappedColumn[]): Schema {
  return {
    fingerprint: fingerprint(def, columns),
    send: def.send,
    columns: columns.map((c) => ({ name: c.name, from: c.from, type: c.chType })),
  };
}

/** Source columns that went away or changed type since the last successful run, in words. */
function schemaChanges(before: Schema, now: Schema, sourceNames: string[]): string[] {
  const changes: string[] = [];
  for (const old of before.columns) {
    const current = now.columns.find((c) => c.from === old.from);
    if (current === undefined) {
      if (!sourceNames.includes(old.from)) changes.push(`column '${old.from}' is gone`);
    } else if (current.type !== old.type)
      changes.push(`column '${old.from}' was ${old.type} and is now ${current.type}`);
  }
  return changes;
}

function parseSchema(text: string): Schema | undefined {
  try {
    return JSON.parse(text) as Schema;
  } catch {
    return undefined;
  }
}

const emptyRun = (sync: string, runId: number): RunRecord => ({
  sync,
  runId,
  status: 'running',
  startedAt: runId,
  finishedAt: 0,
  added: 0,
  changed: 0,
  deleted: 0,
  skipped: 0,
  failed: 0,
  batches: 0,
  error: '',
  sourceSchema: '',
});

/** Sent and failed rows per op, from the plan's counts and the rejected rows' ops. */
function countsOf(
  def: SyncDef,
  planned: Record<Op, number>,
  rejected: ReadonlyMap<string, Op>,
): { sent: Record<Op, number>; failed: number } {
  const failed = (op: Op): number => [...rejected.values()].filter((o) => o === op).length;
  const sent = (op: Op): number => (def.send.includes(op) ? planned[op] - failed(op) : 0);
  return {
    sent: { added: sent('added'), changed: sent('changed'), deleted: sent('deleted') },
    failed: rejected.size,
  };
}

export async function runSync(
  def: SyncDef,
  deps: RunDeps,
  options: RunOptions = {},
): Promise<SyncRunSummary> {
  const { warehouse, destination } = deps;
  const now = deps.now ?? Date.now;
  const say = deps.say ?? (() => undefined);
  if (def.disabled !== undefined)
    throw new FareboxError('sync_invalid', `sync ${def.name} is disabled: ${def.disabled}`, {
      where: def.file,
      hint: 'set the variable in the environment of farebox (or its config file) and run it again',
    });
  const started = now();
  const refused = async (e: unknown): Promise<never> => {
    // Seen on the dashboards like any run; never resumed (there is no plan).
    const error = e instanceof Error ? e.message : String(e);
    await saveRun(warehouse, { ...emptyRun(def.name, started), status: 'refused', finishedAt: now(), error });
    throw e;
  };
  const source = await describeSource(warehouse, def).catch(refused);
  const columns = await Promise.resolve()
    .then(() => mapColumns(def, source))
    .catch(refused);
  const schema = schemaOf(def, columns);

  const [last] = await listRuns(warehouse, def.name, 1);
  let run: RunRecord | undefined = unfinished(last) ? last : undefined;
  if (run !== undefined && parseSchema(run.sourceSchema)?.fingerprint !== schema.fingerprint) {
    say(`run ${run.runId} was cut off, but the sync or its source changed since: planning a new run`);
    // What it sent stays sent: its recorded batches go into the state (under the ops it sent then).
    const cut = await progress(warehouse, def.name, run.runId);
    const sent = parseSchema(run.sourceSchema)?.send ?? def.send;
    if (cut.lastKey !== undefined)
      await recordState(warehouse, { name: def.name, send: sent }, run.runId, { throughKey: cut.lastKey });
    await saveRun(warehouse, { ...run, status: 'abandoned', error: 'the sync or its source changed' });
    run = undefined;
  }
  const resumed = run !== undefined;
  if (run === undefined) {
    const before = last?.status === 'succeeded' ? last : await lastSucceeded(warehouse, def.name);
    const old = before === undefined ? undefined : parseSchema(before.sourceSchema);
    const changes =
      old === undefined
        ? []
        : schemaChanges(
            old,
            schema,
            source.map((c) => c.name),
          );
    if (changes.length > 0 && options.acceptSchemaChange !== true)
      await refused(
        new FareboxError(
          'sync_schema_changed',
          `sync ${def.name}: the source changed since the last run: ${changes.join('; ')}`,
          {
            where: def.file,
            hint: `fix the source, or accept the change: farebox sync run ${def.name} --accept-schema-change (rows are compared anew under the new types, so most are sent again)`,
          },
        ),
      );
    const runId = Math.max(started, (before?.runId ?? 0) + 1);
    // The destination gets ready while the warehouse checks the keys and then makes the plan (one after
    // the other: side by side they only compete for the same cores). A refused run leaves a plan no run
    // record names; the next run drops it.
    const ready = destination.prepare({ sync: def.name, mode: def.mode, columns });
    ready.catch(() => undefined);
    let planned: Record<Op, number>;
    try {
      await checkKeys(warehouse, def, columns).catch(refused);
      planned = await createPlan(warehouse, def, columns, runId, def.send.includes('deleted'));
    } finally {
      await ready.catch(() => undefined); // nothing left running whatever happened
    }
    await ready.catch(refused);
    const unsent = (['added', 'changed', 'deleted'] as Op[]).filter((op) => !def.send.includes(op));
    const skipped = unsent.reduce((a, op) => a + planned[op], 0);
    run = {
      ...emptyRun(def.name, runId),
      status: 'running',
      startedAt: started,
      ...planned,
      skipped,
      sourceSchema: JSON.stringify(schema),
    };
    await saveRun(warehouse, run);
    // Rows of changes the sync does not send are recorded as if sent: the baseline of later changes.
    if (skipped > 0) await recordState(warehouse, { name: def.name, send: unsent }, runId);
    say(
      `planned run ${runId}: ${planned.added} added, ${planned.changed} changed, ${planned.deleted} deleted${skipped > 0 ? ` (${skipped} recorded, not sent)` : ''}`,
    );
  } else say(`resuming run ${run.runId}`);

  const runId = run.runId;
  try {
    if (resumed) await destination.prepare({ sync: def.name, mode: def.mode, columns });
    const done = resumed ? await progress(warehouse, def.name, runId) : { batches: 0, lastKey: undefined };
    const total = def.send.reduce((a, op) => a + run[op], 0);
    let sent = Math.min(total, done.batches * def.batchRows);
    deps.progress?.(sent, total);
    const outcome = await sendPlan(
      def,
      columns,
      { runId, resumed, batches: done.batches, lastKey: done.lastKey },
      {
        warehouse,
        destination,
        say,
        onBatch: (rows) => {
          sent = Math.min(total, sent + rows);
          deps.progress?.(sent, total);
        },
        ...(deps.afterWrite === undefined ? {} : { afterWrite: deps.afterWrite }),
      },
    );
    // Rejected rows: this process saw them all, unless the run was resumed.
    const counts = resumed
      ? await runCounts(warehouse, def, runId, run)
      : countsOf(def, run, outcome.rejected);
    const finished = now();
    await saveRun(warehouse, {
      ...run,
      status: 'succeeded',
      finishedAt: finished,
      ...counts.sent,
      failed: counts.failed,
      batches: outcome.batches,
    });
    await dropPlan(warehouse, def.name);
    return {
      sync: def.name,
      runId,
      resumed,
      ...counts.sent,
      skipped: run.skipped,
      failed: counts.failed,
      batches: outcome.batches,
      ms: finished - started,
    };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await saveRun(warehouse, { ...run, status: 'failed', error: message, finishedAt: now() }).catch(
      () => undefined,
    );
    throw e;
  }
}
