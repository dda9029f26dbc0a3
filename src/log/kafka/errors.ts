/** Turns @platformatic/kafka's errors into FareboxError: 'topic_unknown' or 'log_io', retriable when a retry can help. */
import { findErrorBy, TimeoutError, UserError } from '@platformatic/kafka';
import { FareboxError } from '../../errors/index.ts';

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/** The errors at the bottom of an error tree: platformatic nests them in MultipleErrors and causes. */
function leaves(e: unknown): unknown[] {
  if (e instanceof AggregateError && e.errors.length > 0) return e.errors.flatMap(leaves);
  if (e instanceof Error && e.cause !== undefined && !('canRetry' in e)) return leaves(e.cause);
  return [e];
}

function retriableLeaf(e: unknown): boolean {
  if (e instanceof TimeoutError) return true;
  if (!(e instanceof Error)) return false;
  // platformatic marks each of its errors, and each broker error code (Kafka's own table), with canRetry:
  // network failures, timeouts, leader changes, coordinator moves and too few in-sync replicas are true.
  if ('canRetry' in e) return e.canRetry === true;
  return networkCodes.has((e as NodeJS.ErrnoException).code ?? '');
}

/** True when trying again later may succeed: every underlying error is a transient one. */
export function isRetriable(e: unknown): boolean {
  const all = leaves(e);
  return all.length > 0 && all.every(retriableLeaf);
}

/** Whether the broker answered with this error code (Kafka's name for it, e.g. 'TOPIC_ALREADY_EXISTS'). */
export function hasKafkaError(e: unknown, apiId: string): boolean {
  return e instanceof Error && findErrorBy(e, 'apiId', apiId) !== null;
}

export function isUnknownTopic(e: unknown): boolean {
  if (hasKafkaError(e, 'UNKNOWN_TOPIC_OR_PARTITION') || hasKafkaError(e, 'UNKNOWN_TOPIC_ID')) return true;
  // platformatic's metadata lookup replaces the broker's error with this message (2.12), keeping no cause.
  return leaves(e).some((l) => l instanceof UserError && l.message.startsWith('Unknown topic '));
}

/** The outer message plus the distinct underlying ones, which say what the broker answered. */
function detail(e: unknown): string {
  const text = (x: unknown): string => {
    if (!(x instanceof Error)) return String(x);
    const id = (x as { apiId?: unknown }).apiId;
    return typeof id === 'string' ? `${id}: ${x.message}` : x.message;
  };
  const inner = [...new Set(leaves(e).map(text))].filter((m) => m !== text(e));
  return inner.length === 0 ? text(e) : `${text(e)} (${inner.join('; ')})`;
}

/** The FareboxError for a failed Kafka operation; `context` says what farebox was doing. */
export function toLogError(context: string, e: unknown): FareboxError {
  if (e instanceof FareboxError) return e;
  const unknown = isUnknownTopic(e);
  return new FareboxError(unknown ? 'topic_unknown' : 'log_io', `${context}: ${detail(e)}`, {
    cause: e,
    retriable: !unknown && isRetriable(e),
  });
}

/** Runs a Kafka call, turning what it throws into a FareboxError. */
export async function kafkaCall<T>(context: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw toLogError(context, e);
  }
}
