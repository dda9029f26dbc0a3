/**
 * One ClickHouse client for both engines: chDB in-process (`chdb/connection`) or a server over HTTP.
 * All farebox SQL then takes the same path.
 */
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection, type ChdbConnection } from 'chdb/connection';
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
  /**
   * Inserts a pre-encoded JSONCompactEachRow body (one JSON array per line, in `columns` order). On chDB
   * the bytes go to the engine's parser as they are, with no copy into a JavaScript string.
   */
  insertEncoded(params: EncodedInsert): Promise<void>;
  close(): Promise<void>;
}

export interface EncodedInsert {
  table: string;
  columns: readonly string[];
  body: Uint8Array;
  settings?: Record<string, string | number>;
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
      const chdb: ChdbConnection = createChdbConnection({ path: config.path });
      const client = createClient({ connection: chdb as unknown as ChdbForClient });
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
        async insertEncoded({ table, columns, body, settings }) {
          if (body.byteLength === 0) return;
          await chdb.chdb.rawInsert({
            table,
            columns,
            values: body,
            format: 'JSONCompactEachRow',
            ...(settings === undefined ? {} : { settings }),
          });
        },
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
    return {
      kind: 'http',
      database: config.database,
      client,
      reader: client,
      async insertEncoded({ table, columns, body, settings }) {
        if (body.byteLength === 0) return;
        await client.insert({
          table,
          columns: [...columns] as [string, ...string[]],
          values: Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]),
          format: 'JSONCompactEachRow',
          ...(settings === undefined ? {} : { clickhouse_settings: settings }),
        });
      },
      close: () => client.close(),
    };
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
