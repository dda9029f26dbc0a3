import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempLog } from '../log/testing.ts';
import { claimCheckHeader, createFsObjectStore } from '../objects/index.ts';
import { decodeWire } from '../registry/index.ts';
import { createProducer } from './producer.ts';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-producer-'));
const { log, cleanup } = await tempLog();
await log.ensureTopic({ name: 'trip_completed', partitions: 1 });
const objects = await createFsObjectStore({ dir: path.join(dir, 'objects') });
const schemaIds = new Map([['trip_completed' as const, [{ id: 5, version: 2 }]]]);
const producer = createProducer({ claimCheckBytes: 2048 }, { log, objects, schemaIds });

afterAll(async () => {
  await cleanup();
  await objects.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('producer', () => {
  it('keeps call order across single sends and batches, claim-checking large events in a batch', async () => {
    const one = producer.sendUntyped('trip_completed', { trip_id: 't', n: 1 });
    const many = producer.sendMany('trip_completed', [
      { trip_id: 't', n: 2, note: 'x'.repeat(5000) },
      { trip_id: 't', n: 3 },
    ]);
    const last = producer.sendUntyped('trip_completed', { trip_id: 't', n: 4 });
    const acks = [await one, ...(await many), await last];
    expect(acks.map((a) => a.offset)).toEqual([0, 1, 2, 3]);
    const consumer = await log.consumer({ group: 'g', topics: ['trip_completed'] });
    const records = await consumer.poll({ maxRecords: 10, timeoutMs: 1000 });
    await consumer.close();
    expect(records.map((r) => r.headers[claimCheckHeader] !== undefined)).toEqual([
      false,
      true,
      false,
      false,
    ]);
    const plain = records.filter((r) => r.headers[claimCheckHeader] === undefined);
    expect(plain.map((r) => (JSON.parse(decodeWire(r.value).payload.toString()) as { n: number }).n)).toEqual(
      [1, 3, 4],
    );
    expect(plain.every((r) => decodeWire(r.value).schemaId === 5)).toBe(true);
  });

  it('fails a whole batch that names a contract version nobody registered', async () => {
    await expect(producer.sendMany('trip_completed', [{ trip_id: 'a' }], 9)).rejects.toThrow(
      /no contract version 9/,
    );
  });
});
