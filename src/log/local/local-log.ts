/**
 * The embedded event log: topics of N partitions as append-only segment files, Kafka's partitioner,
 * durable consumer-group offsets. One process writes a log directory at a time (LOCK file).
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { LogConfig } from '../../config/index.ts';
import { FareboxError, closest } from '../../errors/index.ts';
import { partitionFor } from '../murmur2.ts';
import type { EventLog, LogConsumer, ProducedRecord, TopicSpec } from '../types.ts';
import { createGroupStore } from './groups.ts';
import { acquireLock } from './lock.ts';
import { createMembership } from './membership.ts';
import { openPartition, type Partition } from './partition.ts';

export type LocalLogConfig = Extract<LogConfig, { kind: 'local' }>;

interface Topic {
  spec: TopicSpec;
  partitions: Partition[];
  nextNullKeyPartition: number;
}

export async function createLocalLog(
  config: LocalLogConfig,
  deps: { warn?: (m: string) => void } = {},
): Promise<EventLog> {
  await fs.mkdir(path.join(config.dir, 'topics'), { recursive: true });
  const release = acquireLock(config.dir);
  const warn = deps.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const topics = new Map<string, Topic>();
  const appended = new EventEmitter();
  appended.setMaxListeners(0);
  const groups = createGroupStore(config.dir);

  const openTopic = async (spec: TopicSpec): Promise<Topic> => {
    const partitions: Partition[] = [];
    for (let id = 0; id < spec.partitions; id++)
      partitions.push(
        await openPartition({
          dir: path.join(config.dir, 'topics', spec.name, String(id)),
          topic: spec.name,
          id,
          fsync: config.fsync,
          segmentBytes: config.segmentBytes,
          onAppend: () => appended.emit('append'),
          onTruncate: (file, bytes) =>
            warn(
              `truncated a torn tail of ${bytes} bytes from ${file} (a crash cut a write short; nothing acknowledged was lost)`,
            ),
        }),
      );
    const topic = { spec, partitions, nextNullKeyPartition: 0 };
    topics.set(spec.name, topic);
    return topic;
  };

  try {
    for (const name of await fs.readdir(path.join(config.dir, 'topics'))) {
      const meta = path.join(config.dir, 'topics', name, 'topic.json');
      const spec = JSON.parse(await fs.readFile(meta, 'utf8').catch(() => 'null')) as TopicSpec | null;
      if (spec !== null) await openTopic(spec);
    }
  } catch (e) {
    release();
    throw e;
  }

  const topicOf = (name: string): Topic => {
    const t = topics.get(name);
    if (t === undefined) {
      const near = closest(name, [...topics.keys()]);
      throw new FareboxError('topic_unknown', `topic '${name}' does not exist`, {
        hint:
          near === undefined
            ? `topics: ${[...topics.keys()].join(', ') || 'none'}`
            : `did you mean '${near}'?`,
      });
    }
    return t;
  };
  const membership = createMembership({ topicOf: (n) => topicOf(n).partitions, groups, appended });

  const timers: NodeJS.Timeout[] = [];
  if (config.fsync.mode === 'interval') {
    const interval = config.fsync.intervalMs;
    timers.push(
      setInterval(
        () =>
          void Promise.all([...topics.values()].flatMap((t) => t.partitions.map((p) => p.sync()))).catch(
            warnError,
          ),
        interval,
      ),
    );
  }
  const retention = async (): Promise<void> => {
    for (const t of topics.values())
      for (const p of t.partitions)
        await p.applyRetention(Date.now(), t.spec.retentionMs, t.spec.retentionBytes);
  };
  function warnError(e: unknown): void {
    warn(e instanceof Error ? e.message : String(e));
  }
  await retention();
  timers.push(setInterval(() => void retention().catch(warnError), 60_000));
  for (const t of timers) t.unref();

  const log: EventLog = {
    kind: 'local',
    async ensureTopic(spec) {
      if (topics.has(spec.name)) return;
      if (!/^[\w.-]{1,200}$/.test(spec.name))
        throw new FareboxError('topic_unknown', `'${spec.name}' is not a valid topic name`, {
          hint: 'use letters, digits, . _ and -',
        });
      const dir = path.join(config.dir, 'topics', spec.name);
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, 'topic.json'), JSON.stringify(spec));
      await openTopic(spec);
    },
    listTopics: () => Promise.resolve([...topics.keys()].sort()),
    partitionCount: async (name) => {
      await Promise.resolve();
      return topicOf(name).partitions.length;
    },
    async produce(name, records) {
      const topic = topicOf(name);
      const n = topic.partitions.length;
      const nullKeyPartition = topic.nextNullKeyPartition;
      topic.nextNullKeyPartition = (nullKeyPartition + 1) % n;
      const byPartition = new Map<number, number[]>();
      const targets = records.map((r, i) => {
        const p = r.key === null ? nullKeyPartition : partitionFor(r.key, n);
        const list = byPartition.get(p) ?? [];
        list.push(i);
        byPartition.set(p, list);
        return p;
      });
      const firsts = new Map<number, number>();
      await Promise.all(
        [...byPartition].map(async ([p, indexes]) => {
          const part = topic.partitions[p] as Partition;
          const first = await part.append(
            indexes.map((i) => {
              const r = records[i] as (typeof records)[number];
              return {
                key: r.key,
                value: r.value,
                headers: r.headers ?? {},
                timestamp: r.timestamp ?? Date.now(),
              };
            }),
          );
          firsts.set(p, first);
        }),
      );
      const seen = new Map<number, number>();
      return targets.map((p): ProducedRecord => {
        const k = seen.get(p) ?? 0;
        seen.set(p, k + 1);
        return { topic: name, partition: p, offset: (firsts.get(p) as number) + k };
      });
    },
    startOffsets: async (name) => {
      await Promise.resolve();
      return topicOf(name).partitions.map((p) => p.startOffset());
    },
    endOffsets: async (name) => {
      await Promise.resolve();
      return topicOf(name).partitions.map((p) => p.endOffset());
    },
    async committedOffsets(group, name) {
      const parts = topicOf(name).partitions;
      return Promise.all(
        parts.map(async (p) => Math.max(p.startOffset(), (await groups.committed(group, name, p.id)) ?? 0)),
      );
    },
    commitOffsets: (group, offsets) => groups.commit(group, offsets),
    consumer: (options): Promise<LogConsumer> => membership.join(options),
    async close() {
      for (const t of timers) clearInterval(t);
      await membership.closeAll();
      for (const t of topics.values()) for (const p of t.partitions) await p.close();
      topics.clear();
      release();
    },
  };
  return log;
}
