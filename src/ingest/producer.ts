/** The producer SDK: typed `send(type, payload)`, batched into few log appends, acknowledged once durable. */
import type { BinaryValue, EventPayloads, EventType, ObjectRefShape } from '../contracts/index.ts';
import { contractFor } from '../contracts/index.ts';
import type { EventLog, LogRecord, ProducedRecord } from '../log/index.ts';
import type { ObjectStore } from '../objects/index.ts';
import type { SchemaIds } from '../registry/index.ts';
import { createSerializer, type SerializerConfig } from './serializer.ts';

/** What a producer may send: the contract's shape, with bytes allowed where the contract has a binary field. */
export type ProducerPayload<T extends EventType> = T extends 'driver_document'
  ? Omit<EventPayloads['driver_document'], 'document'> & { document: BinaryValue | ObjectRefShape }
  : EventPayloads[T];

export interface ProducerConfig extends SerializerConfig {
  /** Records wait at most this long to be batched with others. */
  lingerMs?: number;
  /** A batch is appended once it holds this many records. */
  batchRecords?: number;
}

export interface ProducerDeps {
  log: EventLog;
  objects: ObjectStore;
  schemaIds: SchemaIds;
}

export interface Producer {
  send<T extends EventType>(type: T, payload: ProducerPayload<T>): Promise<ProducedRecord>;
  /**
   * Sends events that did not come from typed code (HTTP, files); pre-load validates them. `version`
   * picks an older contract version (a 2019 TLC file is trip_completed v1); the latest by default.
   */
  sendUntyped(type: EventType, payload: Record<string, unknown>, version?: number): Promise<ProducedRecord>;
  /**
   * Sends many events of one type as one append, in order after everything sent before: the fast path
   * for files and HTTP batches. All or nothing: an event that cannot be serialized fails the call.
   */
  sendMany(
    type: EventType,
    payloads: readonly Record<string, unknown>[],
    version?: number,
  ): Promise<ProducedRecord[]>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface Pending {
  record: Promise<LogRecord>;
  resolve: (r: ProducedRecord) => void;
  reject: (e: unknown) => void;
}

/**
 * Order is kept per topic (so per key): records are queued in call order at once, serialized in parallel
 * (claim checks may take a while), and each topic's batches are appended one after another.
 */
export function createProducer(config: ProducerConfig, deps: ProducerDeps): Producer {
  const serializer = createSerializer(config, deps);
  const lingerMs = config.lingerMs ?? 2;
  const batchRecords = config.batchRecords ?? 2000;
  const queues = new Map<string, Pending[]>();
  const chains = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;

  const append = async (topic: string, batch: Pending[]): Promise<void> => {
    const settled = await Promise.allSettled(batch.map((b) => b.record));
    const ready: { pending: Pending; record: LogRecord }[] = [];
    settled.forEach((s, i) => {
      const pending = batch[i] as Pending;
      if (s.status === 'fulfilled') ready.push({ pending, record: s.value });
      else pending.reject(s.reason);
    });
    if (ready.length === 0) return;
    try {
      const acks = await deps.log.produce(
        topic,
        ready.map((r) => r.record),
      );
      ready.forEach((r, i) => r.pending.resolve(acks[i] as ProducedRecord));
    } catch (e) {
      for (const r of ready) r.pending.reject(e);
    }
  };

  const drain = (topic: string): void => {
    const batch = queues.get(topic);
    if (batch === undefined || batch.length === 0) return;
    queues.delete(topic);
    const next = (chains.get(topic) ?? Promise.resolve()).then(() => append(topic, batch));
    chains.set(topic, next);
  };
  const drainAll = (): void => {
    timer = undefined;
    for (const topic of [...queues.keys()]) drain(topic);
  };

  const enqueue = (
    type: EventType,
    payload: Record<string, unknown>,
    version?: number,
  ): Promise<ProducedRecord> => {
    const topic = contractFor(type).topic;
    const record = serializer.serialize(type, payload, version);
    void record.catch(() => undefined);
    return new Promise<ProducedRecord>((resolve, reject) => {
      const q = queues.get(topic) ?? [];
      q.push({ record, resolve, reject });
      queues.set(topic, q);
      if (q.length >= batchRecords) drain(topic);
      else timer ??= setTimeout(drainAll, lingerMs);
    });
  };

  return {
    send: (type, payload) => enqueue(type, payload),
    sendUntyped: enqueue,
    sendMany(type, payloads, version) {
      const topic = contractFor(type).topic;
      drain(topic);
      // The place in the topic's order is taken now, before serializing (which may wait on the object store).
      const serialized = serializer.serializeMany(type, payloads, version);
      serialized.catch(() => undefined);
      const acked = (chains.get(topic) ?? Promise.resolve()).then(async () =>
        deps.log.produce(topic, await serialized),
      );
      chains.set(
        topic,
        acked.then(
          () => undefined,
          () => undefined,
        ),
      );
      return acked;
    },
    async flush() {
      if (timer !== undefined) clearTimeout(timer);
      drainAll();
      await Promise.all([...chains.values()]);
    },
    async close() {
      await this.flush();
    },
  };
}
