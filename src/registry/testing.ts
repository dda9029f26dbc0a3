/** Test helpers: a temporary embedded log, and an app served on an ephemeral loopback port. */
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { createLocalLog, type EventLog } from '../log/index.ts';

export async function tempLog(): Promise<{ log: EventLog; cleanup: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-registry-log-'));
  const log = await createLocalLog(
    {
      kind: 'local',
      dir,
      fsync: { mode: 'never' },
      segmentBytes: 1 << 20,
      retentionMs: undefined,
      retentionBytes: undefined,
      partitions: 1,
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

export async function serveOnLoopback(app: Hono): Promise<{ url: string; close: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
    server.once('error', reject);
  });
}
