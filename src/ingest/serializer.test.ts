import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimCheckHeader, createFsObjectStore } from '../objects/index.ts';
import { decodeWire } from '../registry/index.ts';
import { isFareboxError } from '../errors/index.ts';
import { createSerializer } from './serializer.ts';

const objects = await createFsObjectStore({ dir: await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-ser-')) });
const schemaIds = new Map([
  [
    'trip_completed' as const,
    [
      { id: 11, version: 1 },
      { id: 12, version: 2 },
    ],
  ],
  ['driver_document' as const, [{ id: 30, version: 1 }]],
]);
const serializer = createSerializer({ claimCheckBytes: 2048 }, { objects, schemaIds });

describe('serializer', () => {
  it('writes the latest schema id by default, or the version asked for, keyed by the contract key', async () => {
    const latest = await serializer.serialize('trip_completed', { trip_id: 't-1' });
    expect(decodeWire(latest.value).schemaId).toBe(12);
    expect(latest.key?.toString()).toBe('t-1');
    expect(latest.headers).toEqual({ 'farebox-event-type': 'trip_completed' });
    expect(
      decodeWire((await serializer.serialize('trip_completed', { trip_id: 't-1' }, 1)).value).schemaId,
    ).toBe(11);
    await expect(serializer.serialize('trip_completed', {}, 7)).rejects.toSatisfy(
      (e) => isFareboxError(e, 'bad_request') && e.message.includes('no contract version 7'),
    );
  });

  it('moves binary fields to the object store and large messages whole', async () => {
    const doc = await serializer.serialize('driver_document', {
      driver_id: 'd1',
      document: { bytes: Buffer.alloc(100_000, 7), contentType: 'image/png' },
    });
    expect(doc.value.length).toBeLessThan(1024);
    const body = JSON.parse(decodeWire(doc.value).payload.toString()) as { document: unknown };
    expect(body.document).toMatchObject({
      size: 100_000,
      contentType: 'image/png',
    });
    const big = await serializer.serialize('trip_completed', { trip_id: 't-2', note: 'x'.repeat(5000) });
    expect(big.headers?.[claimCheckHeader]).toBeDefined();
    expect(big.value.length).toBeLessThan(1024);
  });
});
