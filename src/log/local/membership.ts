/** Consumer groups inside one process: partitions shared round-robin among members, rebalanced on join and leave. */
import type { EventEmitter } from 'node:events';
import type { ConsumedRecord, ConsumerOptions, LogConsumer, TopicPartition } from '../types.ts';
import type { GroupStore } from './groups.ts';
import type { Partition } from './partition.ts';

interface Member {
  options: ConsumerOptions;
  assigned: TopicPartition[];
  positions: Map<string, number>;
  closed: boolean;
}

const keyOf = (tp: TopicPartition): string => `${tp.topic}/${tp.partition}`;
const maxPollBytes = 8 * 1024 * 1024;

export function createMembership(deps: {
  topicOf: (name: string) => Partition[];
  groups: GroupStore;
  appended: EventEmitter;
}) {
  const groups = new Map<string, Member[]>();
  let appends = 0;
  deps.appended.on('append', () => appends++);

  const rebalance = async (group: string): Promise<void> => {
    const members = (groups.get(group) ?? []).filter((m) => !m.closed);
    const next = new Map<Member, TopicPartition[]>(members.map((m) => [m, []]));
    const topics = [...new Set(members.flatMap((m) => m.options.topics))].sort();
    for (const topic of topics) {
      const subscribers = members.filter((m) => m.options.topics.includes(topic));
      deps
        .topicOf(topic)
        .forEach((_, partition) =>
          next.get(subscribers[partition % subscribers.length] as Member)?.push({ topic, partition }),
        );
    }
    for (const m of members) {
      const keep = new Set((next.get(m) ?? []).map(keyOf));
      const revoked = m.assigned.filter((tp) => !keep.has(keyOf(tp)));
      if (revoked.length > 0) await m.options.onPartitionsRevoked?.(revoked);
    }
    for (const m of members) {
      const assigned = next.get(m) ?? [];
      const positions = new Map<string, number>();
      for (const tp of assigned) {
        const part = deps.topicOf(tp.topic)[tp.partition] as Partition;
        const committed = (await deps.groups.committed(group, tp.topic, tp.partition)) ?? 0;
        positions.set(keyOf(tp), m.positions.get(keyOf(tp)) ?? Math.max(committed, part.startOffset()));
      }
      m.assigned = assigned;
      m.positions = positions;
    }
  };

  const waitForAppend = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        deps.appended.off('append', done);
        resolve();
      }
      deps.appended.on('append', done);
    });

  return {
    async join(options: ConsumerOptions): Promise<LogConsumer> {
      for (const t of options.topics) deps.topicOf(t);
      const member: Member = { options, assigned: [], positions: new Map(), closed: false };
      groups.set(options.group, [...(groups.get(options.group) ?? []), member]);
      await rebalance(options.group);
      let rotate = 0;
      const readSome = async (maxRecords: number): Promise<ConsumedRecord[]> => {
        const out: ConsumedRecord[] = [];
        const n = member.assigned.length;
        for (let i = 0; i < n && out.length < maxRecords; i++) {
          const tp = member.assigned[(rotate + i) % n] as TopicPartition;
          const from = member.positions.get(keyOf(tp)) ?? 0;
          const part = deps.topicOf(tp.topic)[tp.partition] as Partition;
          const records = await part.read(from, maxRecords - out.length, maxPollBytes);
          const last = records[records.length - 1];
          if (last !== undefined) member.positions.set(keyOf(tp), last.offset + 1);
          out.push(...records);
        }
        rotate = (rotate + 1) % Math.max(1, n);
        return out;
      };
      return {
        async poll({ maxRecords, timeoutMs }) {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            const seen = appends;
            const out = await readSome(maxRecords);
            const left = deadline - Date.now();
            if (out.length > 0 || left <= 0 || member.closed) return out;
            if (appends === seen) await waitForAppend(left);
          }
        },
        commit: (offsets) => deps.groups.commit(options.group, offsets),
        assignment: () => [...member.assigned],
        // Revocations are awaited and kept partitions keep their positions: there is one generation.
        generation: () => 0,
        async close() {
          if (member.closed) return;
          member.closed = true;
          groups.set(
            options.group,
            (groups.get(options.group) ?? []).filter((m) => m !== member),
          );
          await rebalance(options.group);
        },
      };
    },
    closeAll(): Promise<void> {
      for (const members of groups.values()) for (const m of members) m.closed = true;
      groups.clear();
      return Promise.resolve();
    },
  };
}
