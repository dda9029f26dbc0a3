/**
 * A topic of the event log (Kafka, or the embedded log) as a sync destination: each batch is one produce
 * call, one record per row.
 *
 *   key:     the row key (UTF-8), so a key's changes land on one partition, in order
 *   value:   { "op": "added" | "changed" | "deleted", "key": "…", "data": { "<column>": <value> },
 *              "sync": "…", "run_id": 12 }     (a deleted row's data holds only its key columns)
 *   headers: farebox-sync, farebox-run, farebox-batch, farebox-op
 *
 * A batch is acknowledged whole or not at all, so nothing is rejected row by row; a produce that fails
 * fails the run (FareboxError 'sync_destination'). A batch resent by a resumed run appears twice in the
 * topic: consumers keep the latest record per key (a compacted topic does that too).
 */
import { FareboxError, wrapError } from '../../errors/index.ts';
import type { EventLog, LogRecord } from '../../log/index.ts';
import type { Destination, DestinationDef } from '../types.ts';
import { jsonRow } from './values.ts';

type KafkaDef = Extract<DestinationDef, { kind: 'kafka' }>;

export interface KafkaDeps {
  log: EventLog;
  /** Partitions of the topic when this creates it; 4 (the default of FAREBOX_PARTITIONS) unless given. */
  partitions?: number;
}

export function createKafkaDestination(def: KafkaDef, deps: KafkaDeps): Destination {
  const { log } = deps;
  return {
    describe: `kafka ${def.topic}`,

    async prepare() {
      try {
        await log.ensureTopic({ name: def.topic, partitions: deps.partitions ?? 4 });
      } catch (e) {
        throw wrapError('sync_destination', `kafka topic ${def.topic} cannot be created`, e, {
          retriable: true,
        });
      }
    },

    applied: () => Promise.resolve(undefined),

    async write(rows, ctx) {
      const headers = {
        'farebox-sync': ctx.sync,
        'farebox-run': String(ctx.runId),
        'farebox-batch': String(ctx.batchNo),
      };
      const records: LogRecord[] = rows.map((r) => ({
        key: Buffer.from(r.key, 'utf8'),
        value: Buffer.from(
          JSON.stringify({
            op: r.op,
            key: r.key,
            data: jsonRow(r, ctx.columns),
            sync: ctx.sync,
            run_id: ctx.runId,
          }),
        ),
        headers: { ...headers, 'farebox-op': r.op },
      }));
      if (records.length === 0) return { rejected: [] };
      try {
        await log.produce(def.topic, records);
      } catch (e) {
        const detail = e instanceof Error ? e.message : String(e);
        throw new FareboxError(
          'sync_destination',
          `kafka ${def.topic}: batch ${ctx.batchNo} of run ${ctx.runId} of sync ${ctx.sync} was not written: ${detail}`,
          {
            retriable: true,
            cause: e,
            hint: 'check that the event log is up; the run resumes from this batch',
          },
        );
      }
      return { rejected: [] };
    },

    close: () => Promise.resolve(),
  };
}
