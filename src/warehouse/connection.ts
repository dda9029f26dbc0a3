/**
 * One ClickHouse client for both engines: chDB in-process (`chdb/connection`) or a server over HTTP.
 * All farebox SQL then takes the same path.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { WarehouseConfig } from '../config/index.ts';
import { wrapError } from '../errors/index.ts';

export interface Warehouse {
  readonly kind: WarehouseConfig['kind'];
  readonly database: string;
  readonly client: ClickHouseClient;
  /**
   * For people's queries. On chDB, settings given per query are SET on the connection's session and
   * stick, so read-only queries get a connection of their own; over HTTP settings are per request.
   */
  readonly reader: ClickHouseClient;
  close(): Promise<void>;
}

type ChdbForClient = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

function quoteIdent(name: string): string {
  return `\`${name.replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``;
}

/** Opens the warehouse and makes sure its database exists and is the default for every query. */
export async function openWarehouse(config: WarehouseConfig): Promise<Warehouse> {
  const db = quoteIdent(config.database);
  try {
    if (config.kind === 'chdb') {
      // chdb builds on @clickhouse/client-common, whose types are a copy of the client's: same shape, other module.
      const connection = createChdbConnection({ path: config.path }) as unknown as ChdbForClient;
      const client = createClient({ connection });
      await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
      await client.command({ query: `USE ${db}` });
      const reader = createClient({
        connection: createChdbConnection({ path: config.path }) as unknown as ChdbForClient,
      });
      await reader.command({ query: `USE ${db}` });
      return {
        kind: 'chdb',
        database: config.database,
        client,
        reader,
        close: async () => {
          await reader.close();
          await client.close();
        },
      };
    }
    const boot = createClient({ url: config.url, username: config.username, password: config.password });
    await boot.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
    await boot.close();
    const client = createClient({
      url: config.url,
      username: config.username,
      password: config.password,
      database: config.database,
    });
    return { kind: 'http', database: config.database, client, reader: client, close: () => client.close() };
  } catch (e) {
    const where = config.kind === 'chdb' ? config.path : config.url;
    throw wrapError('warehouse', `cannot open the ClickHouse warehouse at ${where}`, e, {
      retriable: config.kind === 'http',
      where,
      hint:
        config.kind === 'chdb'
          ? 'is another farebox process using this directory? chDB opens a data directory from one process only'
          : 'is the ClickHouse server running and reachable with these credentials?',
    });
  }
}
