import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFareboxError } from '../../errors/index.ts';
import { partitionFor, type ConsumedRecord, type EventLog } from '../../log/index.ts';
import { tempLog } from '../../log/testing.ts';
import type { BatchContext, SyncRow } from '../types.ts';
import { createKafkaDestination } from './kafka.ts';

let log: EventLog;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ log, cleanup } = await tempLog({ partitions: 4 }));
});
afterAll(() => cleanup());

const ctx = (batchNo: number): BatchContext => ({
  sync: 'zones',
  runId: 3,
  batchNo,
  mode: 'mirror',
  columns: [
    { name: 'zone_id', chType: 'UInt16', key: true },
    { name: 'name', chType: 'String', key: false },
    { name: 'fare', chType: 'Nullable(Float64)', key: false },
  ],
});
const row = (op: SyncRow['op'], id: number, name?: string): SyncRow => ({
  op,
  key: String(id),
  values: name === undefined ? { zone_id: String(id) } : { zone_id: String(id), name, fare: '2.5' },
});

async function readAll(topic: string, want: number): Promise<ConsumedRecord[]> {
  const consumer = await log.consumer({ group: `g-${topic}`, topics: [topic] });
  const out: ConsumedRecord[] = [];
  const deadline = Date.now() + 10_000;
  while (out.length < want && Date.now() < deadline)
    out.push(...(await consumer.poll({ maxRecords: 1000, timeoutMs: 100 })));
  await consumer.close();
  return out;
}

describe('kafka destination', () => {
  it('writes one keyed record per row, with headers, in order per key', async () => {
    const d = createKafkaDestination({ kind: 'kafka', topic: 'zones-out' }, { log });
    expect(d.describe).toBe('kafka zones-out');
    await d.prepare(ctx(1));
    expect(await log.partitionCount('zones-out')).toBe(4);
    await d.prepare(ctx(1)); // idempotent
    expect(await d.applied(ctx(1))).toBeUndefined();

    const batch1 = [row('added', 1, 'Airport'), row('added', 2, 'Harbour'), row('added', 3, 'Old town')];
    const batch2 = [row('changed', 1, 'Airport T1'), row('deleted', 2), row('added', 4, 'Docks')];
    expect(await d.write(batch1, ctx(1))).toEqual({ rejected: [] });
    expect(await d.write(batch2, ctx(2))).toEqual({ rejected: [] });
    expect(await d.write([], ctx(3))).toEqual({ rejected: [] });
    await d.close();

    const records = await readAll('zones-out', 6);
    expect(records).toHaveLength(6);
    for (const r of records) {
      expect(r.partition).toBe(partitionFor(r.key as Buffer, 4));
      expect(r.headers['farebox-sync']).toBe('zones');
      expect(r.headers['farebox-run']).toBe('3');
    }
    const byKey = (key: string) =>
      records
        .filter((r) => r.key?.toString() === key)
        .sort((a, b) => a.offset - b.offset)
        .map((r) => ({
          headers: { batch: r.headers['farebox-batch'], op: r.headers['farebox-op'] },
          value: JSON.parse(r.value.toString()) as unknown,
        }));
    expect(byKey('1')).toEqual([
      {
        headers: { batch: '1', op: 'added' },
        value: {
          op: 'added',
          key: '1',
          data: { zone_id: 1, name: 'Airport', fare: 2.5 },
          sync: 'zones',
          run_id: 3,
        },
      },
      {
        headers: { batch: '2', op: 'changed' },
        value: {
          op: 'changed',
          key: '1',
          data: { zone_id: 1, name: 'Airport T1', fare: 2.5 },
          sync: 'zones',
          run_id: 3,
        },
      },
    ]);
    expect(byKey('2').map((r) => r.value)).toEqual([
      { op: 'added', key: '2', data: { zone_id: 2, name: 'Harbour', fare: 2.5 }, sync: 'zones', run_id: 3 },
      { op: 'deleted', key: '2', data: { zone_id: 2 }, sync: 'zones', run_id: 3 },
    ]);
    expect(byKey('2').map((r) => r.headers)).toEqual([
      { batch: '1', op: 'added' },
      { batch: '2', op: 'deleted' },
    ]);
  });

  it('fails the batch with sync_destination when the log refuses it', async () => {
    const broken: EventLog = { ...log, produce: () => Promise.reject(new Error('broker gone')) };
    const d = createKafkaDestination({ kind: 'kafka', topic: 'zones-broken' }, { log: broken });
    await d.prepare(ctx(1));
    await expect(d.write([row('added', 1, 'x')], ctx(1))).rejects.toSatisfy(
      (e) => isFareboxError(e, 'sync_destination') && e.retriable && e.message.includes('broker gone'),
    );
  });
});
