/**
 * Reverse ETL: syncs from the warehouse back into operational systems (PostgreSQL, HTTP, Kafka),
 * sending only what changed since the last successful run; see run.ts for how a run goes.
 */
import type { OpsDb } from '../opsdb/index.ts';
import type { EventLog } from '../log/index.ts';
import { FareboxError } from '../errors/index.ts';
import type { Destination, SyncDef } from './types.ts';

export type {
  BatchContext,
  BatchResult,
  Destination,
  DestinationDef,
  Op,
  SyncColumn,
  SyncDef,
  SyncMode,
  SyncRow,
  SyncRunSummary,
} from './types.ts';
export { defaultSend, loadSyncs, parseSync, type SyncContext } from './definition.ts';
export { runSync, type RunDeps, type RunOptions } from './run.ts';
export { listRuns, type RunRecord } from './state.ts';
export { withSyncLease } from './lease.ts';

export interface DestinationDeps {
  /** The operational database, for postgres destinations without a URL. */
  opsDb?: OpsDb;
  /** The event log, for kafka destinations. */
  log?: EventLog;
}

/** The destination a sync writes to; engines load on first use. */
export async function openDestination(def: SyncDef, deps: DestinationDeps): Promise<Destination> {
  const d = def.destination;
  if (d.kind === 'postgres') {
    const { createPostgresDestination } = await import('./destinations/postgres.ts');
    if (d.url === undefined) {
      if (deps.opsDb === undefined)
        throw new FareboxError('internal', `sync ${def.name}: no operational database to write to`);
      return createPostgresDestination(d, { db: deps.opsDb, owned: false });
    }
    const { openOpsDb } = await import('../opsdb/index.ts');
    return createPostgresDestination(d, {
      db: await openOpsDb({ kind: 'postgres', url: d.url }),
      owned: true,
    });
  }
  if (d.kind === 'http') {
    const { createHttpDestination } = await import('./destinations/http.ts');
    return createHttpDestination(d);
  }
  if (deps.log === undefined)
    throw new FareboxError('internal', `sync ${def.name}: no event log to write topic ${d.topic} to`);
  const { createKafkaDestination } = await import('./destinations/kafka.ts');
  return createKafkaDestination(d, { log: deps.log });
}
