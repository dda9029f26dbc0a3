import type { LogConfig } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';
import { createLocalLog } from './local/local-log.ts';
import type { EventLog } from './types.ts';

export type * from './types.ts';
export { murmur2, partitionFor } from './murmur2.ts';
export { createLocalLog } from './local/local-log.ts';

/** The event log named by the configuration. */
export async function createEventLog(config: LogConfig): Promise<EventLog> {
  if (config.kind === 'local') return createLocalLog(config);
  throw new FareboxError('config_invalid', 'the Kafka event log arrives with issue 3', {
    where: 'FAREBOX_LOG',
    hint: 'use local:./dir for now',
  });
}
