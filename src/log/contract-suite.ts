/** The behaviour every event log must have: run on the embedded log and on Kafka. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFareboxError } from '../errors/index.ts';
import { partitionFor } from './murmur2.ts';
import type { ConsumedRecord, EventLog, LogConsumer } from './types.ts';

async function drain(consumer: LogConsumer, want: number): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  const deadline = Date.now() + 20_000;
  while (out.length < want && Date.now() < deadline)
    out.push(...(await consumer.poll({ maxRecords: 1000, timeoutMs: 200 })));
  return out;
}

/** Kafka members learn of a rebalance at their next heartbeat, so assignments settle a little later. */
async function settled(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

export function describeEventLogContract(
  name: string,
  make: () => Promise<{ log: EventLog; cleanup: () => Promise<void> }>,
): void {
  describe(`event log contract: ${name}`, () => {
    let log: EventLog;
    let cleanup: () => Promise<void>;
    const topic = async (partitions = 4): Promise<string> => {
      const t = `t-${randomUUID()}`;
      await log.ensureTopic({ name: t, partitions });
      return t;
    };
    beforeAll(async () => {
      ({ log, cleanup } = await make());
    });
    afterAll(async () => {
      await log.close();
      await cleanup();
    });

    it('creates topics idempotently', async () => {
      const t = await topic(3);
      await log.ensureTopic({ name: t, partitions: 3 });
      expect(await log.partitionCount(t)).toBe(3);
      expect(await log.listTopics()).toContain(t);
      expect(await log.endOffsets(t)).toEqual([0, 0, 0]);
    });

    it('puts a key in the partition Kafka would choose, in order, with increasing offsets', async () => {
      const t = await topic(4);
      const records = Array.from({ length: 50 }, (_, i) => ({
        key: Buffer.from(`veh-${i % 5}`),
        value: Buffer.from(String(i)),
      }));
      const acks = await log.produce(t, records);
      acks.forEach((a, i) => expect(a.partition).toBe(partitionFor(Buffer.from(`veh-${i % 5}`), 4)));
      const c = await log.consumer({ group: `g-${randomUUID()}`, topics: [t] });
      const got = await drain(c, 50);
      await c.close();
      expect(got).toHaveLength(50);
      for (let k = 0; k < 5; k++) {
        const values = got
          .filter((r) => r.key?.toString() === `veh-${k}`)
          .map((r) => Number(r.value.toString()));
        expect(values).toEqual([...values].sort((a, b) => a - b));
        const offsets = got.filter((r) => r.key?.toString() === `veh-${k}`).map((r) => r.offset);
        expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      }
    });

    it('round-trips headers, timestamps and null keys', async () => {
      const t = await topic(2);
      await log.produce(t, [
        { key: null, value: Buffer.from('v'), headers: { 'farebox-x': 'y' }, timestamp: 1_700_000_000_000 },
      ]);
      const c = await log.consumer({ group: `g-${randomUUID()}`, topics: [t] });
      const [r] = await drain(c, 1);
      await c.close();
      expect(r).toMatchObject({ key: null, headers: { 'farebox-x': 'y' }, timestamp: 1_700_000_000_000 });
      expect(r?.value.toString()).toBe('v');
    });

    it('resumes a group from its committed offsets', async () => {
      const t = await topic(1);
      const group = `g-${randomUUID()}`;
      await log.produce(
        t,
        Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.from(String(i)) })),
      );
      const a = await log.consumer({ group, topics: [t] });
      const first = await drain(a, 10);
      await a.commit([{ topic: t, partition: 0, offset: 6 }]);
      await a.close();
      expect(first).toHaveLength(10);
      expect(await log.committedOffsets(group, t)).toEqual([6]);
      const b = await log.consumer({ group, topics: [t] });
      const rest = await drain(b, 4);
      await b.close();
      expect(rest.map((r) => r.value.toString())).toEqual(['6', '7', '8', '9']);
    });

    it('shares partitions between two consumers of a group, who read everything once between them', async () => {
      const t = await topic(4);
      const group = `g-${randomUUID()}`;
      await log.produce(
        t,
        Array.from({ length: 200 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(String(i)) })),
      );
      const a = await log.consumer({ group, topics: [t] });
      const b = await log.consumer({ group, topics: [t] });
      await settled(() => a.assignment().length + b.assignment().length === 4);
      expect(a.assignment().length + b.assignment().length).toBe(4);
      expect(a.assignment().length).toBeGreaterThan(0);
      const all: string[] = [];
      const deadline = Date.now() + 20_000;
      while (all.length < 200 && Date.now() < deadline)
        for (const c of [a, b])
          all.push(...(await c.poll({ maxRecords: 50, timeoutMs: 50 })).map((r) => r.value.toString()));
      await a.close();
      await b.close();
      expect(new Set(all).size).toBe(200);
      expect(all).toHaveLength(200);
    });

    it('names an unknown topic', async () => {
      await expect(log.produce(`missing-${randomUUID()}`, [])).rejects.toSatisfy((e) =>
        isFareboxError(e, 'topic_unknown'),
      );
    });
  });
}
