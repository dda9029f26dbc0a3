import { randomUUID } from 'node:crypto';
import { createClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { endpoints } from '../../test/services.ts';
import { parseConfig } from '../config/index.ts';
import { isFareboxError } from '../errors/index.ts';
import { openWarehouse } from './connection.ts';
import { describeWarehouseContract } from './contract-suite.ts';

const url = endpoints().clickhouse;
const config = (database: string, base = url) =>
  parseConfig({ env: { FAREBOX_WAREHOUSE: `${base}/${database}` } }).warehouse;

describeWarehouseContract('ClickHouse server over HTTP', async () => {
  const database = `farebox_test_${randomUUID().slice(0, 8)}`;
  const warehouse = await openWarehouse(config(database));
  return {
    warehouse,
    cleanup: async () => {
      const c = createClient({
        url: url.replace(/\/\/[^@]*@/, '//'),
        username: 'farebox',
        password: 'farebox',
      });
      await c.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      await c.close();
    },
  };
});

describe('ClickHouse server warehouse', () => {
  it('says which server it talks to and picks the dialect for its version', async () => {
    const warehouse = await openWarehouse(config('farebox_test_version'));
    try {
      expect(warehouse.kind).toBe('http');
      expect(warehouse.dialect.version).toMatch(/^\d+\.\d+/);
      expect(warehouse.dialect.name).toBe(
        Number(warehouse.dialect.version.split('.')[0]) >= 23 ? 'current' : 'legacy',
      );
    } finally {
      await warehouse.close();
    }
  });

  it('refuses wrong credentials with the server named and a hint', async () => {
    const bad = url.replace(/\/\/[^@]*@/, '//farebox:wrong@');
    await expect(openWarehouse(config('x', bad))).rejects.toSatisfy(
      (e) =>
        isFareboxError(e, 'warehouse') &&
        /cannot open the ClickHouse warehouse at http:\/\/127\.0\.0\.1/.test(e.message) &&
        e.hint !== undefined,
    );
  });
});
