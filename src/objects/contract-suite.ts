/** The behaviour every object store must have: run against the local directory and S3 (MinIO). */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFareboxError } from '../errors/index.ts';
import type { ObjectStore } from './types.ts';

export function describeObjectStoreContract(
  name: string,
  make: () => Promise<{ store: ObjectStore; cleanup: () => Promise<void> }>,
): void {
  describe(`object store contract: ${name}`, () => {
    let store: ObjectStore;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await make());
    });
    afterAll(async () => {
      await store.close();
      await cleanup();
    });

    it('stores bytes under their sha256 and reads them back', async () => {
      const bytes = randomBytes(70_000);
      const ref = await store.put(bytes, 'image/png');
      expect(ref.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(ref.size).toBe(70_000);
      expect(ref.contentType).toBe('image/png');
      expect(Buffer.compare(await store.get(ref), bytes)).toBe(0);
      expect(await store.has(ref.sha256)).toBe(true);
    });

    it('stores the same bytes once', async () => {
      const bytes = randomBytes(1000);
      const a = await store.put(bytes, 'application/octet-stream');
      const b = await store.put(bytes, 'application/octet-stream');
      expect(b).toEqual(a);
      let copies = 0;
      for await (const o of store.list()) if (o.sha256 === a.sha256) copies++;
      expect(copies).toBe(1);
    });

    it('lists each object with its size and when it was stored', async () => {
      const before = Date.now();
      const ref = await store.put(randomBytes(321), 'image/jpeg');
      const after = Date.now();
      let listed: { sha256: string; size: number; modifiedAt: number } | undefined;
      for await (const o of store.list()) if (o.sha256 === ref.sha256) listed = o;
      expect(listed?.size).toBe(321);
      // S3 keeps LastModified in whole seconds; allow for that and a little clock skew.
      expect(listed?.modifiedAt).toBeGreaterThanOrEqual(before - 2000);
      expect(listed?.modifiedAt).toBeLessThanOrEqual(after + 2000);
      expect(Number.isInteger(listed?.modifiedAt)).toBe(true);
    });

    it('refuses a reference whose hash does not match', async () => {
      const ref = await store.put(randomBytes(100), 'text/plain');
      await expect(store.get({ ...ref, size: 101 })).rejects.toSatisfy((e) =>
        isFareboxError(e, 'object_hash_mismatch'),
      );
    });

    it('reports a missing object clearly and deletes', async () => {
      const ref = await store.put(randomBytes(10), 'text/plain');
      await store.delete(ref.sha256);
      expect(await store.has(ref.sha256)).toBe(false);
      await expect(store.get(ref)).rejects.toSatisfy((e) => isFareboxError(e, 'object_missing'));
    });
  });
}
