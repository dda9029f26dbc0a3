/**
 * Sends a run's plan, batch by batch, and records each batch once the destination took it.
 *
 * Up to `inFlight` batches are at the destination at once (PostgreSQL then uses a second core while the
 * warehouse reads the next batch); their records land in batch order, so a resumed run's "after the last
 * recorded batch" never skips one: a batch applied but not recorded when the run stopped is asked about
 * again (`Destination.applied`) or resent under the same idempotency key. The state the next run's diff
 * reads is written every `stateRows` rows or so, and at the end.
 */
import type { Warehouse } from '../warehouse/index.ts';
import type { MappedColumn } from './source.ts';
import { readBatch, recordBatch, recordState } from './state.ts';
import type { BatchResult, Destination, Op, SyncDef, SyncRow } from './types.ts';

export interface SendOptions {
  runId: number;
  resumed: boolean;
  /** Batches recorded before (a resumed run) and the last key they covered. */
  batches: number;
  lastKey: string | undefined;
  inFlight?: number;
}

export interface SendDeps {
  warehouse: Warehouse;
  destination: Destination;
  say: (line: string) => void;
  /** After each recorded batch: its rows. */
  onBatch: (rows: number) => void;
  afterWrite?: (batchNo: number) => void | Promise<void>;
}

export async function sendPlan(
  def: SyncDef,
  columns: MappedColumn[],
  options: SendOptions,
  deps: SendDeps,
): Promise<{ batches: number; rejected: Map<string, Op> }> {
  const { warehouse, destination } = deps;
  const { runId } = options;
  const inFlight = options.inFlight ?? 2;
  const stateRows = Math.max(def.batchRows, 200_000);
  // From the start, also for a resumed run: its earlier batches' state may not be written yet (writing a
  // row twice is harmless).
  let stateFrom: string | undefined;
  let unrecorded = 0;
  let batches = options.batches;
  let lastKey = options.lastKey;
  let next = readBatch(warehouse, def, columns, runId, lastKey);
  /** Resolves when every batch so far is recorded; rejects (and stays rejected) at the first failure. */
  let recorded: Promise<void> = Promise.resolve();
  const writes: Promise<unknown>[] = [];
  const pending: Promise<void>[] = [];
  const rejected = new Map<string, Op>();
  const opOf = new Map<string, Op>();
  try {
    for (;;) {
      const rows: SyncRow[] = await next;
      if (rows.length === 0) break;
      lastKey = (rows[rows.length - 1] as SyncRow).key;
      next = readBatch(warehouse, def, columns, runId, lastKey);
      next.catch(() => undefined); // awaited next round; not an unhandled rejection meanwhile
      const ctx = { sync: def.name, runId, mode: def.mode, columns, batchNo: ++batches };
      const batchLastKey = lastKey;
      const write = (async (): Promise<BatchResult> => {
        const result =
          (options.resumed ? await destination.applied(ctx) : undefined) ??
          (await destination.write(rows, ctx));
        await deps.afterWrite?.(ctx.batchNo);
        return result;
      })();
      writes.push(write);
      write.catch(() => undefined);
      recorded = recorded.then(async () => {
        const result = await write;
        await recordBatch(
          warehouse,
          def,
          runId,
          { batchNo: ctx.batchNo, lastKey: batchLastKey, rows },
          result.rejected,
        );
        unrecorded += rows.length;
        if (unrecorded >= stateRows) {
          await recordState(warehouse, def, runId, { afterKey: stateFrom, throughKey: batchLastKey });
          [stateFrom, unrecorded] = [batchLastKey, 0];
        }
        if (result.rejected.length > 0) {
          for (const r of rows) opOf.set(r.key, r.op);
          for (const r of result.rejected) rejected.set(r.key, opOf.get(r.key) ?? 'added');
          opOf.clear();
        }
        deps.onBatch(rows.length);
        if (result.rejected.length > 0)
          deps.say(
            `batch ${ctx.batchNo}: ${result.rejected.length} row(s) rejected, first: ${result.rejected[0]?.error ?? ''}`,
          );
      });
      recorded.catch(() => undefined);
      pending.push(recorded);
      if (pending.length >= inFlight) await pending.shift();
    }
    await recorded;
  } catch (e) {
    // Nothing may still be writing once the caller closes the destination.
    await Promise.allSettled(writes);
    throw e;
  }
  if (unrecorded > 0 || stateFrom === undefined)
    await recordState(warehouse, def, runId, { afterKey: stateFrom });
  return { batches, rejected };
}
