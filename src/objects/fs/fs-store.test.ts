import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isFareboxError } from '../../errors/index.ts';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeObjectStoreContract } from '../contract-suite.ts';
import { createFsObjectStore } from './fs-store.ts';

describeObjectStoreContract('local directory', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-objects-'));
  return {
    store: await createFsObjectStore({ dir }),
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
});

describe('local directory store', () => {
  it('detects bytes changed on disk', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-objects-'));
    const store = await createFsObjectStore({ dir });
    const ref = await store.put(Buffer.from('licence scan'), 'image/png');
    await fs.writeFile(fileURLToPath(ref.url), 'licence scam');
    await expect(store.get(ref)).rejects.toSatisfy((e) => isFareboxError(e, 'object_hash_mismatch'));
  });
});
