import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openWarehouse } from './connection.ts';
import { describeWarehouseContract } from './contract-suite.ts';

describeWarehouseContract('chDB (embedded)', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-chdb-'));
  const warehouse = await openWarehouse({ kind: 'chdb', path: dir, database: 'contract' });
  return { warehouse, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
});
