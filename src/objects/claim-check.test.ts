import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFareboxError } from '../errors/index.ts';
import { checkInFields, checkInMessage, checkOutMessage, resolveRef } from './claim-check.ts';
import { createFsObjectStore } from './fs/fs-store.ts';
import type { ObjectRef } from './types.ts';

const store = await createFsObjectStore({ dir: await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-cc-')) });

describe('claim check', () => {
  it('moves declared binary fields to the store and leaves a verifiable reference', async () => {
    const photo = randomBytes(200_000);
    const out = await checkInFields(
      { driver_id: 'd1', document: { bytes: photo, contentType: 'image/jpeg' } },
      ['document'],
      store,
    );
    const ref = out.document as ObjectRef;
    expect(ref).toMatchObject({ size: 200_000, contentType: 'image/jpeg' });
    expect(ref.url).toMatch(/^file:\/\//);
    expect(Buffer.compare(await resolveRef(ref, store), photo)).toBe(0);
    expect(JSON.stringify(out).length).toBeLessThan(400);
  });

  it('accepts base64 over JSON and is idempotent on retry', async () => {
    const bytes = randomBytes(5000);
    const a = await checkInFields(
      { d: { base64: bytes.toString('base64'), contentType: 'image/png' } },
      ['d'],
      store,
    );
    const b = await checkInFields({ d: { bytes, contentType: 'image/png' } }, ['d'], store);
    expect(a).toEqual(b);
  });

  it('leaves an existing reference alone and refuses bytes without a content type', async () => {
    const ref = await store.put(randomBytes(10), 'image/png');
    expect(await checkInFields({ d: ref }, ['d'], store)).toEqual({ d: ref });
    await expect(checkInFields({ d: { base64: 'AAAA' } }, ['d'], store)).rejects.toSatisfy(
      (e) => isFareboxError(e, 'bad_request') && e.message.includes("'d' needs a contentType"),
    );
  });

  it('round-trips a whole claimed message and detects tampering', async () => {
    const message = randomBytes(600_000);
    const value = await checkInMessage(message, store);
    expect(value.length).toBeLessThan(400);
    expect(Buffer.compare(await checkOutMessage(value, store), message)).toBe(0);
    const ref = JSON.parse(value.toString()) as ObjectRef;
    await expect(checkOutMessage(Buffer.from(JSON.stringify({ ...ref, size: 1 })), store)).rejects.toSatisfy(
      (e) => isFareboxError(e, 'object_hash_mismatch'),
    );
  });
});
