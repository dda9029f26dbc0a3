/** Settings shared by the admin, producer and consumer clients of one Kafka log. */
import type { BaseOptions } from '@platformatic/kafka';
import type { LogConfig } from '../../config/index.ts';

export type KafkaLogConfig = Extract<LogConfig, { kind: 'kafka' }>;

/**
 * Retriable failures (lost connections, leader elections, timeouts, too few in-sync replicas) are retried
 * inside the client 5 times, backing off 0.2, 0.4, 0.8, 1.6 and 2 s: about 5 s of outage is absorbed, and
 * a longer one reaches the caller as a retriable FareboxError instead of hanging it.
 */
const retryBackoff = { retries: 5, firstDelayMs: 100, maxDelayMs: 2000 } as const;

export function clientOptions(config: KafkaLogConfig): BaseOptions {
  return {
    clientId: config.clientId,
    bootstrapBrokers: config.brokers,
    retries: retryBackoff.retries,
    retryDelay: (_client, _operation, attempt) =>
      Math.min(retryBackoff.firstDelayMs * 2 ** attempt, retryBackoff.maxDelayMs),
  };
}
