/**
 * Syncs as the CLI, `farebox up` and the scheduler see them: loaded from FAREBOX_SYNCS with the
 * transform project's models and the environment, run by name on engines a process already holds.
 */
import { closest, FareboxError } from '../errors/index.ts';
import type { EventLog } from '../log/index.ts';
import type { OpsDb } from '../opsdb/index.ts';
import {
  openDestination,
  runSync,
  withSyncLease,
  type RunOptions,
  type SyncDef,
  type SyncRunSummary,
} from '../reverse-etl/index.ts';
import type { Warehouse } from '../warehouse/index.ts';

export function syncNamed(syncs: SyncDef[], name: string): SyncDef {
  const def = syncs.find((s) => s.name === name);
  if (def !== undefined) return def;
  const near = closest(
    name,
    syncs.map((s) => s.name),
  );
  throw new FareboxError('not_found', `no sync '${name}'`, {
    hint: near === undefined ? 'see them with farebox sync list' : `did you mean '${near}'?`,
  });
}

export interface SyncEngines {
  warehouse: Warehouse;
  opsDb: OpsDb;
  log?: EventLog;
}

/** Runs a sync on engines this process holds, opening (and closing) its destination. */
export async function runSyncOn(
  def: SyncDef,
  engines: SyncEngines,
  options: RunOptions & {
    say?: (line: string) => void;
    progress?: (sent: number, total: number) => void;
  } = {},
): Promise<SyncRunSummary> {
  // Runs of one sync in this process take turns (a manual run waits for the scheduled one); another
  // process is refused by the lease.
  const previous = turns.get(def.name) ?? Promise.resolve();
  const mine = previous.then(
    () => withSyncLease(engines.opsDb, def.name, () => runOnce(def, engines, options)),
    () => withSyncLease(engines.opsDb, def.name, () => runOnce(def, engines, options)),
  );
  turns.set(
    def.name,
    mine.then(
      () => undefined,
      () => undefined,
    ),
  );
  return mine;
}

const turns = new Map<string, Promise<void>>();

async function runOnce(
  def: SyncDef,
  engines: SyncEngines,
  options: RunOptions & {
    say?: (line: string) => void;
    progress?: (sent: number, total: number) => void;
  },
): Promise<SyncRunSummary> {
  const destination = await openDestination(def, {
    opsDb: engines.opsDb,
    ...(engines.log === undefined ? {} : { log: engines.log }),
  });
  try {
    return await runSync(
      def,
      {
        warehouse: engines.warehouse,
        destination,
        ...(options.say === undefined ? {} : { say: options.say }),
        ...(options.progress === undefined ? {} : { progress: options.progress }),
      },
      options.acceptSchemaChange === true ? { acceptSchemaChange: true } : {},
    );
  } finally {
    await destination.close();
  }
}

export function summaryLine(s: SyncRunSummary): string {
  return `sync ${s.sync} run ${s.runId}${s.resumed ? ' (resumed)' : ''}: ${s.added} added, ${s.changed} changed, ${s.deleted} deleted, ${s.failed} failed${s.skipped > 0 ? `, ${s.skipped} recorded without sending` : ''} in ${s.batches} batch${s.batches === 1 ? '' : 'es'}, ${(s.ms / 1000).toFixed(1)} s`;
}
