/** The one error type of farebox. Foreign errors are wrapped into it at each boundary. */
export type ErrorCode =
  | 'config_invalid'
  | 'contract_unknown'
  | 'schema_invalid'
  | 'schema_incompatible'
  | 'schema_not_found'
  | 'registry_unavailable'
  | 'wire_format'
  | 'log_io'
  | 'log_corrupt'
  | 'log_locked'
  /** Offsets cannot be moved from outside while the group has members (Kafka). */
  | 'log_group_active'
  | 'topic_unknown'
  | 'object_missing'
  | 'object_hash_mismatch'
  | 'object_io'
  | 'warehouse'
  /** A read-only query was stopped on request (SQL lab's Cancel). */
  | 'query_cancelled'
  /** The operational database (PGlite or PostgreSQL) failed. */
  | 'ops_db'
  /** The dbt-format project cannot be parsed or compiled: bad YAML or Jinja, unknown ref, ref cycle. */
  | 'transform_invalid'
  /** A table is older than its freshness rule allows. */
  | 'stale'
  /** A pipeline file is wrong: unknown job, job cycle, bad cron, unknown selector. */
  | 'pipeline_invalid'
  /** A sync file is wrong, or its source cannot be synced as it is (duplicate or NULL keys). */
  | 'sync_invalid'
  /** A sync's source or destination columns changed since its last run. */
  | 'sync_schema_changed'
  /** Another process is running the same sync (its lease in the operational database). */
  | 'sync_busy'
  /** A sync's destination failed a whole batch (down, refusing every request). */
  | 'sync_destination'
  | 'import_layout'
  | 'import_io'
  | 'bad_request'
  | 'unauthorized'
  /** Signed in, but the role does not allow this (dashboards API). */
  | 'forbidden'
  | 'not_found'
  /** The request contradicts the current state (e.g. removing the last admin). */
  | 'conflict'
  /** Too many attempts (e.g. sign-in failures); the hint says when to try again. */
  | 'rate_limited'
  | 'payload_too_large'
  | 'query_refused'
  | 'internal';

export interface FareboxErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  /** Where the problem is, for people: a file and line, a field path, an env variable. */
  where?: string;
  /** What to do next, for people. */
  hint?: string;
}

export class FareboxError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly where: string | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: FareboxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FareboxError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.where = options.where;
    this.hint = options.hint;
  }

  /** One human-readable paragraph: what, where, what to do. */
  describe(): string {
    const parts = [this.message];
    if (this.where !== undefined) parts.push(`  at: ${this.where}`);
    if (this.hint !== undefined) parts.push(`  hint: ${this.hint}`);
    return parts.join('\n');
  }
}

export function isFareboxError(e: unknown, code?: ErrorCode): e is FareboxError {
  return e instanceof FareboxError && (code === undefined || e.code === code);
}

/** Wraps anything thrown by a foreign library into a FareboxError, keeping it as the cause. */
export function wrapError(
  code: ErrorCode,
  context: string,
  e: unknown,
  options: Omit<FareboxErrorOptions, 'cause'> = {},
): FareboxError {
  if (e instanceof FareboxError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  return new FareboxError(code, `${context}: ${detail}`, { ...options, cause: e });
}
export { closest } from './closest.ts';
