/**
 * The schema registry kept in a compacted single-partition topic (`_schemas`) of farebox's event log, on
 * Kafka or the embedded log. Each process replays the topic from the start into memory with a consumer
 * group of its own (never committed) and serves reads after catching up to the end offset, so a process
 * reads its own writes and everyone else's acknowledged ones. Writes are proposals decided by the replay
 * (log-state.ts): a register proposes the next version and id it computed, reads up to its own record and
 * tries again if another process got there first. Two processes therefore always agree on ids.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { FareboxError } from '../errors/index.ts';
import type { EventLog, LogRecord } from '../log/index.ts';
import { applyRecord, configRecord, deleteRecord, proposalRecord, withdrawnRecord } from './log-state.ts';
import { createModel } from './model.ts';
import { modelReads, planDeleteSubject, planDeleteVersion, planRegister } from './rules.ts';
import type { SchemaRegistry } from './types.ts';

export interface LogRegistryConfig {
  /** The topic holding the registry's state; it must have one partition. */
  topic?: string;
  /** How long a read may wait to catch up with the topic, and a write to see its own record. */
  timeoutMs?: number;
  /** Prefix of this process's consumer group; a random suffix makes the group its own. */
  groupPrefix?: string;
  /** Copies of the topic's partition (Kafka). */
  replicationFactor?: number;
}

export interface LogRegistryDeps {
  log: EventLog;
}

export const defaultRegistryTopic = '_schemas';
const maxAttempts = 20;

export async function createLogRegistry(
  config: LogRegistryConfig,
  deps: LogRegistryDeps,
): Promise<SchemaRegistry> {
  const { log } = deps;
  const topic = config.topic ?? defaultRegistryTopic;
  const timeoutMs = config.timeoutMs ?? 30_000;
  await log.ensureTopic({
    name: topic,
    partitions: 1,
    cleanupPolicy: 'compact',
    ...(config.replicationFactor === undefined ? {} : { replicationFactor: config.replicationFactor }),
  });
  const partitions = await log.partitionCount(topic);
  if (partitions !== 1)
    throw new FareboxError('config_invalid', `the registry topic '${topic}' has ${partitions} partitions`, {
      hint: 'the registry needs exactly one partition (one total order of its records); recreate the topic',
    });
  const consumer = await log.consumer({
    group: `${config.groupPrefix ?? 'farebox-registry'}-${randomUUID()}`,
    topics: [topic],
  });
  const model = createModel();
  let position = 0;
  /** Keys of this process's own proposals being decided → accepted yet. */
  const waiting = new Map<string, boolean>();

  const unavailable = (what: string): FareboxError =>
    new FareboxError('registry_unavailable', what, {
      retriable: true,
      hint: `is the event log reachable, and is topic '${topic}' readable?`,
    });

  // One reader at a time: each catch-up queues behind the one before and usually finds nothing left to do.
  let reading: Promise<void> = Promise.resolve();
  const readTo = (target: number): Promise<void> => {
    const run = reading.then(async () => {
      const deadline = Date.now() + timeoutMs;
      while (position < target) {
        const left = deadline - Date.now();
        if (left <= 0)
          throw unavailable(`the registry did not catch up with '${topic}' within ${timeoutMs} ms`);
        const records = await consumer.poll({ maxRecords: 1000, timeoutMs: Math.min(left, 1000) });
        for (const r of records) {
          if (r.offset < position) continue;
          const accepted = applyRecord(model, r.value);
          const key = r.key?.toString('utf8');
          if (key !== undefined && waiting.has(key)) waiting.set(key, waiting.get(key) === true || accepted);
          position = r.offset + 1;
        }
      }
    });
    reading = run.catch(() => undefined);
    return run;
  };
  const catchUp = async (): Promise<void> => readTo((await log.endOffsets(topic))[0] ?? 0);
  const read = async <T>(f: () => T): Promise<T> => {
    await catchUp();
    return f();
  };
  const write = async (records: LogRecord[]): Promise<void> => {
    const acks = await log.produce(topic, records);
    await readTo(Math.max(...acks.map((a) => a.offset)) + 1);
  };
  // Writes of this process go one at a time, so they never race each other; other processes may still.
  let writing: Promise<unknown> = Promise.resolve();
  const serialized = <T>(f: () => Promise<T>): Promise<T> => {
    const run = writing.then(f, f);
    writing = run.catch(() => undefined);
    return run;
  };

  await catchUp();

  return {
    register: (subject, schema, schemaType = 'JSON') =>
      serialized(async () => {
        for (let attempt = 1; ; attempt++) {
          await catchUp();
          const plan = planRegister(model, subject, schema, schemaType);
          if ('existing' in plan) return plan.existing;
          const p = plan.proposal;
          const proposal = proposalRecord(p);
          const key = (proposal.key as Buffer).toString('utf8');
          waiting.set(key, false);
          try {
            await write([proposal]);
            if (waiting.get(key) === true)
              return { id: p.id, subject, version: p.version, schemaType, schema: p.schema };
          } finally {
            waiting.delete(key);
          }
          // Another process took the version or the id first: withdraw ours (so compaction drops it) and
          // plan again on the newer state, which re-checks compatibility against the winner.
          await log.produce(topic, [withdrawnRecord(proposal.key as Buffer)]);
          if (attempt >= maxAttempts)
            throw unavailable(`gave up registering under '${subject}' after ${attempt} conflicting attempts`);
          await sleep(Math.random() * 20 * attempt);
        }
      }),
    ...modelReads(model, read),
    setCompatibility: (level, subject) => serialized(() => write([configRecord(level, subject)])),
    deleteCompatibility: (subject) =>
      serialized(async () => {
        await catchUp();
        const before = subject === undefined ? model.levelOf() : model.subjectLevel(subject);
        await write([configRecord(undefined, subject)]);
        return before;
      }),
    deleteSubject: (subject, permanent = false) =>
      serialized(async () => {
        await catchUp();
        const versions = planDeleteSubject(model, subject, permanent);
        await write(versions.map((v) => deleteRecord(subject, v, permanent)));
        return versions;
      }),
    deleteVersion: (subject, version, permanent = false) =>
      serialized(async () => {
        await catchUp();
        const v = planDeleteVersion(model, subject, version, permanent);
        await write([deleteRecord(subject, v, permanent)]);
        return v;
      }),
    async close() {
      await writing;
      await reading;
      await consumer.close();
    },
  };
}
