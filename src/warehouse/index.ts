export { openWarehouse, type EncodedInsert, type Warehouse } from './connection.ts';
export { dialectFor, sqlString, type Dialect } from './dialect.ts';
export { tables, tableDef, type TableDef } from './tables.ts';
export { migrate, migrations, rawTables, readerViews, type Migration } from './migrations.ts';
export {
  createSink,
  catchUpToLedger,
  type CommittedRange,
  type Sink,
  type SinkDeps,
  type SinkStats,
} from './sink.ts';
export { runReadOnlyQuery, type QueryResult } from './query.ts';
export { collectStatus, type PipelineStatus, type TypeStatus } from './status.ts';
