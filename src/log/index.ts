import type { LogConfig } from '../config/index.ts';
import { createKafkaLog } from './kafka/kafka-log.ts';
import { createLocalLog } from './local/local-log.ts';
import type { EventLog } from './types.ts';

export type * from './types.ts';
export { murmur2, partitionFor } from './murmur2.ts';
export { createLocalLog } from './local/local-log.ts';
export { createKafkaLog } from './kafka/kafka-log.ts';

/** The event log named by the configuration. */
export async function createEventLog(config: LogConfig): Promise<EventLog> {
  return config.kind === 'local' ? createLocalLog(config) : createKafkaLog(config);
}
