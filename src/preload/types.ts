import type { EventType } from '../contracts/index.ts';

export type Stage = 'decode' | 'validate' | 'clean';

/** The raw-table row a record becomes: its values in the order of `rowColumns` of its event type. */
export type Row = unknown[];

/** Where a record came from in the log; every row and dead letter carries it. */
export interface Source {
  topic: string;
  partition: number;
  offset: number;
}

export interface DeadLetter extends Source {
  event_type: string;
  stage: Stage;
  reason: string;
  /** The record's value exactly as it was on the log, base64. */
  raw_base64: string;
  key: string | null;
  headers: Record<string, string>;
  schema_id: number | null;
  event_id: string | null;
  received_at: string;
}

export type Routed = { ok: true; type: EventType; row: Row } | { ok: false; deadLetter: DeadLetter };

/** A cleaning step's verdict: the (possibly fixed) event with flags, or a reason to dead-letter. */
export type Cleaned =
  { ok: true; event: Record<string, unknown>; flags: string[] } | { ok: false; reason: string };

/** One raw table's share of a batch, encoded for insert (JSONCompactEachRow, columns named). */
export interface EncodedRows {
  type: EventType;
  columns: readonly string[];
  rows: number;
  body: Uint8Array;
}

/** A batch of records after pre-load: insert bodies per event type and the dead letters. */
export interface PreloadedBatch {
  tables: EncodedRows[];
  deadLetters: DeadLetter[];
  /** Per input record, in order: true if it became a row, false if it was dead-lettered. */
  loaded: boolean[];
  /** Milliseconds spent deciding and encoding, on whichever thread did it. */
  busyMs: number;
}
