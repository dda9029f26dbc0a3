/**
 * Reverse ETL as data: a sync reads a model or a query from the warehouse, finds what changed since its
 * last successful run (in the warehouse, against the key → hash state it keeps there) and sends only that
 * to a destination, in batches, resuming a run cut off by a crash where it stopped.
 */
/**
 * What a sync does with the diff: `insert` sends rows new to it; `update` sends new and changed rows as
 * updates of existing destination rows (a row the destination lacks is rejected); `upsert` inserts or
 * updates; `mirror` also deletes rows gone from the source.
 */
export type SyncMode = 'insert' | 'update' | 'upsert' | 'mirror';

/** A row's change since the last successful sync. */
export type Op = 'added' | 'changed' | 'deleted';

export type DestinationDef =
  | {
      kind: 'postgres';
      /** A PostgreSQL URL; undefined is the operational database (FAREBOX_OPS_DB). */
      url: string | undefined;
      table: string;
      /** Create the table (columns typed from the source, primary key) when it does not exist. */
      createTable: boolean;
    }
  | {
      kind: 'http';
      url: string;
      /** Requests per second at most. */
      rateLimit: number;
      retries: number;
      retryDelayMs: number;
      timeoutMs: number;
    }
  | { kind: 'kafka'; topic: string };

export interface SyncDef {
  name: string;
  description: string;
  /** The YAML file it came from, relative to the project. */
  file: string;
  /** A model of the transform project, or a SELECT. */
  source: { kind: 'model'; model: string } | { kind: 'sql'; sql: string };
  /** Source columns that identify a row (each mapped to a destination column). */
  primaryKey: string[];
  /** Destination column → source column, in order; undefined sends every source column as it is named. */
  mapping: { to: string; from: string }[] | undefined;
  mode: SyncMode;
  /** Which changes are sent; the others are only recorded (e.g. `[changed]` to notify on changes only). */
  send: Op[];
  destination: DestinationDef;
  batchRows: number;
  /**
   * Run on its own schedule by the scheduler (which checks the cron and time zone, as for pipelines);
   * undefined runs only when a pipeline job or a person asks.
   */
  schedule: { every: string | number } | { cron: string; timezone: string } | undefined;
  /** Why the sync cannot run now (a variable its URL needs is not set); undefined when it can. */
  disabled: string | undefined;
}

/** One column as the destination receives it: its name there and the ClickHouse type it comes from. */
export interface SyncColumn {
  name: string;
  chType: string;
  /** Part of the primary key. */
  key: boolean;
}

/**
 * A row on its way: values are text as ClickHouse prints them (DateTime in UTC, ISO with 'Z'), or null;
 * a deleted row carries only its key columns. `key` is the row's key as the sync state holds it.
 */
export interface SyncRow {
  readonly op: Op;
  readonly key: string;
  readonly values: Record<string, string | null>;
  /** The values as one line of PostgreSQL COPY text in the sync's column order, when read as such. */
  readonly copyLine?: string;
}

export interface BatchContext {
  sync: string;
  runId: number;
  batchNo: number;
  mode: SyncMode;
  columns: SyncColumn[];
}

export interface BatchResult {
  /** Rows the destination refused, with its reason; the rest of the batch was applied. */
  rejected: { key: string; error: string }[];
}

/** Where a sync writes. Each destination applies a batch all-or-nothing apart from the rows it rejects. */
export interface Destination {
  /** For logs: 'postgres drivers', 'http https://…'. */
  readonly describe: string;
  /** Checks (or creates) what the batches will need: the table and its columns. */
  prepare(ctx: Omit<BatchContext, 'runId' | 'batchNo'>): Promise<void>;
  /**
   * The outcome of this batch of this run if it was applied before a crash kept the run from recording
   * it, so that a resumed run does not apply it twice. Destinations that cannot tell (HTTP, Kafka) answer
   * undefined and rely on the receiver: the same idempotency key per batch, or a keyed topic.
   */
  applied(ctx: BatchContext): Promise<BatchResult | undefined>;
  write(rows: SyncRow[], ctx: BatchContext): Promise<BatchResult>;
  close(): Promise<void>;
}

export interface SyncRunSummary {
  sync: string;
  runId: number;
  /** A run cut off earlier that this call finished. */
  resumed: boolean;
  added: number;
  changed: number;
  deleted: number;
  /** Rows recorded but not sent (not in the sync's `send`). */
  skipped: number;
  failed: number;
  batches: number;
  ms: number;
}
