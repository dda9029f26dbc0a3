import type { EventType } from '../contracts/index.ts';

export type Stage = 'decode' | 'validate' | 'clean';

/** The raw-table row a record becomes, keyed by column name. */
export type Row = Record<string, unknown>;

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
