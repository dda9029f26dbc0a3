/** Test helper: an embedded log in a temporary folder, removed by cleanup(). */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EventLog } from './types.ts';
import { createLocalLog } from './index.ts';

export async function tempLog(
  options: { partitions?: number } = {},
): Promise<{ log: EventLog; cleanup: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-test-log-'));
  const log = await createLocalLog(
    {
      kind: 'local',
      dir,
      fsync: { mode: 'never' },
      segmentBytes: 1 << 20,
      retentionMs: undefined,
      retentionBytes: undefined,
      partitions: options.partitions ?? 1,
    },
    { warn: () => undefined },
  );
  return {
    log,
    cleanup: async () => {
      await log.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
