/**
 * Reverse ETL on embedded engines: chDB as the warehouse, PGlite as the destination; and the same suite
 * against an HTTP receiver that fails some requests.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { openOpsDb, type OpsDb } from '../opsdb/index.ts';
import { openWarehouse, type Warehouse } from '../warehouse/index.ts';
import { describeDestinationContract } from './contract-suite.ts';
import { startReceiver, type Receiver } from './http-harness.ts';
import { postgresHarness } from './postgres-harness.ts';

let dir: string;
let warehouse: Warehouse;
let db: OpsDb;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-sync-'));
  warehouse = await openWarehouse({ kind: 'chdb', path: path.join(dir, 'chdb'), database: 'farebox' });
  db = await openOpsDb({ kind: 'pglite', dir: 'memory://' });
});
afterAll(async () => {
  await db.close();
  await warehouse.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describeDestinationContract('PGlite', () => ({
  warehouse: () => warehouse,
  harness: () => postgresHarness(() => db),
}));

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  expect(receiver.failed()).toBeGreaterThan(5);
  await receiver.close();
});

describeDestinationContract('an HTTP receiver that fails every third request', () => ({
  warehouse: () => warehouse,
  harness: () => receiver.harness,
}));
