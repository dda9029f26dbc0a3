import type { SinkConfig } from '../config/index.ts';
import type { Sink, SinkDeps } from './sink.ts';

export { openWarehouse, type EncodedInsert, type Warehouse } from './connection.ts';
export { dialectFor, sqlString, type Dialect } from './dialect.ts';
export { tables, tableDef, type TableDef } from './tables.ts';
export { migrate, migrations, rawTables, readerViews, type Migration } from './migrations.ts';
export type { CommittedRange, Sink, SinkDeps, SinkStats } from './sink.ts';
export { cancelQuery, runReadOnlyQuery, type QueryLimits, type QueryResult } from './query.ts';
export { collectStatus, type PipelineStatus, type TypeStatus } from './status.ts';
export { replayDeadLetters, type ReplayFilter } from './replay.ts';

/**
 * The sink, loaded when first made: commands that only query or transform the warehouse do not load the
 * pre-load stage, the contracts' validators and the registry client it brings.
 */
export async function createSink(config: SinkConfig, deps: SinkDeps): Promise<Sink> {
  const { createSink: create } = await import('./sink.ts');
  return create(config, deps);
}
