import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contracts } from '../contracts/index.ts';
import { describeRegistryContract } from './contract-suite.ts';
import { createEmbeddedRegistry } from './embedded.ts';
import { registerContracts } from './register-contracts.ts';

describeRegistryContract('embedded', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-registry-'));
  return {
    registry: await createEmbeddedRegistry({ dir }),
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
});

describe('embedded registry', () => {
  it('registers the contracts (trip_completed v1 then v2 under BACKWARD) and keeps ids across restarts', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-registry-'));
    const first = await registerContracts(await createEmbeddedRegistry({ dir }));
    expect(first.get('trip_completed')?.map((v) => v.version)).toEqual([1, 2]);
    const reopened = await createEmbeddedRegistry({ dir });
    expect(await registerContracts(reopened)).toEqual(first);
    expect(await reopened.listSubjects()).toEqual(
      Object.values(contracts)
        .map((c) => c.subject)
        .sort(),
    );
    expect(await reopened.getCompatibility()).toBe('BACKWARD');
  });
});
