/**
 * Reverse ETL on real servers: the ClickHouse server (the diff's SQL on its dialect) as the warehouse and
 * a PostgreSQL server, named by URL in the sync, as the destination.
 */
import { afterAll, beforeAll } from 'vitest';
import { endpoints } from '../../test/services.ts';
import { parseConfig } from '../config/index.ts';
import { openOpsDb, type OpsDb } from '../opsdb/index.ts';
import { openWarehouse, type Warehouse } from '../warehouse/index.ts';
import { describeDestinationContract } from './contract-suite.ts';
import { postgresHarness } from './postgres-harness.ts';

let warehouse: Warehouse;
let db: OpsDb;
const database = `sync_${Date.now()}`;
beforeAll(async () => {
  const e = endpoints();
  warehouse = await openWarehouse(
    parseConfig({ env: { FAREBOX_WAREHOUSE: `${e.clickhouse}/${database}` } }).warehouse,
  );
  db = await openOpsDb({ kind: 'postgres', url: e.postgres });
});
afterAll(async () => {
  await warehouse.client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await warehouse.close();
  await db.close();
});

describeDestinationContract('PostgreSQL (server, by URL), from the ClickHouse server', () => ({
  warehouse: () => warehouse,
  harness: () => postgresHarness(() => db, endpoints().postgres),
}));
