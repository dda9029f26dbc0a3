/**
 * Prometheus metrics of `farebox serve` roles (prom-client): events received by the gateway, records
 * loaded and dead-lettered by the sink, batch sizes and insert latency, consumer lag per topic, job runs
 * of the scheduler, and Node's process metrics. Roles report through the small functions here; lag is
 * read from the log when Prometheus scrapes.
 */
import promClient from 'prom-client';
import type { EventType } from '../contracts/index.ts';
import { contracts, eventTypes } from '../contracts/index.ts';
import type { Producer } from '../ingest/index.ts';
import type { EventLog } from '../log/index.ts';
import type { SinkStats } from '../warehouse/index.ts';

export interface RoleMetrics {
  readonly registry: promClient.Registry;
  /** The gateway's producer, counting what it accepts per event type. */
  countingProducer(producer: Producer): Producer;
  /** After each sink batch, with the sink's running totals. */
  sinkBatch(stats: SinkStats): void;
  /** Consumer lag of a group, read from the log at each scrape. */
  watchLag(log: EventLog, group: string): void;
  /** A scheduler job attempt that ended. */
  jobRun(pipeline: string, job: string, outcome: 'success' | 'failed', ms: number): void;
}

export function createRoleMetrics(role: string): RoleMetrics {
  const registry = new promClient.Registry();
  registry.setDefaultLabels({ role });
  promClient.collectDefaultMetrics({ register: registry, prefix: 'farebox_' });
  const received = new promClient.Counter({
    name: 'farebox_events_received_total',
    help: 'Events the gateway accepted and appended to the log, per event type',
    labelNames: ['type'],
    registers: [registry],
  });
  const records = new promClient.Counter({
    name: 'farebox_sink_records_total',
    help: 'Records the sink handled, per event type and outcome (loaded or dead_lettered)',
    labelNames: ['type', 'outcome'],
    registers: [registry],
  });
  const batches = new promClient.Counter({
    name: 'farebox_sink_batches_total',
    help: 'Batches the sink inserted and committed',
    registers: [registry],
  });
  const batchSize = new promClient.Histogram({
    name: 'farebox_sink_batch_records',
    help: 'Records per committed sink batch',
    buckets: [10, 100, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000],
    registers: [registry],
  });
  const insertSeconds = new promClient.Histogram({
    name: 'farebox_sink_insert_seconds',
    help: 'Time a batch took to insert into the warehouse',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const jobs = new promClient.Counter({
    name: 'farebox_job_runs_total',
    help: 'Scheduler job attempts that ended, per pipeline, job and outcome',
    labelNames: ['pipeline', 'job', 'outcome'],
    registers: [registry],
  });
  const jobSeconds = new promClient.Histogram({
    name: 'farebox_job_seconds',
    help: 'Time a scheduler job attempt took',
    labelNames: ['pipeline', 'job'],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [registry],
  });
  let last: SinkStats | undefined;

  return {
    registry,
    countingProducer(producer) {
      return {
        ...producer,
        send: async (type, payload) => {
          const r = await producer.send(type, payload);
          received.inc({ type });
          return r;
        },
        sendUntyped: async (type, payload, version) => {
          const r = await producer.sendUntyped(type, payload, version);
          received.inc({ type });
          return r;
        },
        sendMany: async (type, payloads, version) => {
          const r = await producer.sendMany(type, payloads, version);
          received.inc({ type }, payloads.length);
          return r;
        },
      };
    },
    sinkBatch(stats) {
      const before = last;
      last = structuredClone(stats);
      const delta = (now: number, then: number | undefined): number => now - (then ?? 0);
      for (const type of eventTypes as readonly EventType[]) {
        records.inc({ type, outcome: 'loaded' }, delta(stats.loaded[type], before?.loaded[type]));
        records.inc(
          { type, outcome: 'dead_lettered' },
          delta(stats.deadLettered[type], before?.deadLettered[type]),
        );
      }
      const n = delta(stats.batches, before?.batches);
      batches.inc(n);
      if (n > 0) {
        batchSize.observe(delta(stats.consumed, before?.consumed) / n);
        insertSeconds.observe(delta(stats.timings.insert, before?.timings.insert) / n / 1000);
      }
    },
    watchLag(log, group) {
      new promClient.Gauge({
        name: 'farebox_consumer_lag',
        help: 'Records in the log not yet committed by the consumer group, per topic',
        labelNames: ['topic', 'group'],
        registers: [registry],
        async collect() {
          for (const type of eventTypes) {
            const topic = contracts[type].topic;
            const [end, committed] = await Promise.all([
              log.endOffsets(topic),
              log.committedOffsets(group, topic),
            ]);
            const lag = end.reduce((a, e, i) => a + Math.max(0, e - (committed[i] ?? 0)), 0);
            this.set({ topic, group }, lag);
          }
        },
      });
    },
    jobRun(pipeline, job, outcome, ms) {
      jobs.inc({ pipeline, job, outcome });
      jobSeconds.observe({ pipeline, job }, ms / 1000);
    },
  };
}
