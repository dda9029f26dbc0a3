import type { LogConfig } from '../config/index.ts';
import { createLocalLog } from './local/local-log.ts';
import type { EventLog } from './types.ts';

export type * from './types.ts';
export { murmur2, partitionFor } from './murmur2.ts';
export { createLocalLog } from './local/local-log.ts';

/** The event log named by the configuration. */
export async function createEventLog(config: LogConfig): Promise<EventLog> {
  if (config.kind === 'local') return createLocalLog(config);
  // Loaded only when configured: embedded engines never load the Kafka client.
  const { createKafkaLog } = await import('./kafka/kafka-log.ts');
  return createKafkaLog(config);
}
