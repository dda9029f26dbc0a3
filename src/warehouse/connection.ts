/**
 * One ClickHouse client for both engines: chDB in-process (`chdb/connection`) or a server over HTTP.
 * All farebox SQL then takes the same path; the server's dialect (dialect.ts) covers old servers.
 */
import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { ChdbConnection, createChdbConnection } from 'chdb/connection';
import type { WarehouseConfig } from '../config/index.ts';
import { FareboxError, wrapError } from '../errors/index.ts';
import { dialectFor, type Dialect } from './dialect.ts';

export interface Warehouse {
  readonly kind: WarehouseConfig['kind'];
  readonly database: string;
  readonly dialect: Dialect;
  readonly client: ClickHouseClient;
  /**
   * Runs `f` with a client for people's queries. On chDB, settings given per query are SET on the
   * connection's session and stick, and a query sent while another runs on the same connection can get
   * that one's output: so read-only queries take a connection of their own from a small pool, one query
   * each at a time. Over HTTP, settings are per request and the one client serves every query.
   */
  withReader<T>(f: (reader: ClickHouseClient) => Promise<T>): Promise<T>;
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

/** Errors are ours to report (wrapped, with hints); the client's own logging would print them twice. */
const quiet = { log: { level: ClickHouseLogLevel.OFF } };

function quoteIdent(name: string): string {
  return `\`${name.replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``;
}

/**
 * chDB's engine (a 540 MB native library) is loaded only for the embedded warehouse: the container image
 * leaves it out unless built with EMBEDDED=true, and the roles on a ClickHouse server never need it.
 */
async function loadChdb(): Promise<{ createChdbConnection: typeof createChdbConnection }> {
  try {
    return await import('chdb/connection');
  } catch (e) {
    throw new FareboxError(
      'config_invalid',
      `the embedded warehouse (chDB) is not installed here: ${(e as Error).message}`,
      {
        cause: e,
        where: 'FAREBOX_WAREHOUSE',
        hint: 'use a ClickHouse server (FAREBOX_WAREHOUSE=http://user:password@host:8123/farebox), or, in the container image, build it with --build-arg EMBEDDED=true',
      },
    );
  }
}

async function openChdb(config: Extract<WarehouseConfig, { kind: 'chdb' }>, db: string): Promise<Warehouse> {
  const { createChdbConnection } = await loadChdb();
  // chdb builds on @clickhouse/client-common, whose types are a copy of the client's: same shape, other module.
  const chdb: ChdbConnection = createChdbConnection({ path: config.path });
  const client = createClient({ ...quiet, connection: chdb as unknown as ChdbForClient });
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({ query: `USE ${db}` });
  const readers = readerPool(async () => {
    const reader = createClient({
      ...quiet,
      connection: createChdbConnection({ path: config.path }) as unknown as ChdbForClient,
    });
    await reader.command({ query: `USE ${db}` });
    return reader;
  }, chdbReaders);
  return {
    kind: 'chdb',
    database: config.database,
    dialect: dialectFor('chdb'),
    client,
    withReader: (f) => readers.use(f),
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
      await readers.close();
      await client.close();
    },
  };
}

/** How many read-only queries chDB runs at once; more wait their turn. */
const chdbReaders = 4;

/** Up to `size` clients, made when first needed; a caller waits for a free one. */
function readerPool(make: () => Promise<ClickHouseClient>, size: number) {
  const idle: ClickHouseClient[] = [];
  const all: ClickHouseClient[] = [];
  const waiting: ((c: ClickHouseClient) => void)[] = [];
  let opening = 0;
  const acquire = async (): Promise<ClickHouseClient> => {
    const free = idle.pop();
    if (free !== undefined) return free;
    if (all.length + opening < size) {
      opening++;
      try {
        const made = await make();
        all.push(made);
        return made;
      } finally {
        opening--;
      }
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = (c: ClickHouseClient): void => {
    const next = waiting.shift();
    if (next !== undefined) next(c);
    else idle.push(c);
  };
  return {
    async use<T>(f: (c: ClickHouseClient) => Promise<T>): Promise<T> {
      const c = await acquire();
      try {
        return await f(c);
      } finally {
        release(c);
      }
    },
    async close(): Promise<void> {
      await Promise.all(all.map((c) => c.close()));
    },
  };
}

async function openServer(
  config: Extract<WarehouseConfig, { kind: 'http' }>,
  db: string,
): Promise<Warehouse> {
  const auth = { url: config.url, username: config.username, password: config.password, ...quiet };
  const boot = createClient(auth);
  let dialect: Dialect;
  try {
    const version = await boot.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
    dialect = dialectFor((await version.json<{ v: string }>())[0]?.v ?? '0');
    await boot.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  } finally {
    await boot.close();
  }
  const client = createClient({ ...auth, database: config.database });
  return {
    kind: 'http',
    database: config.database,
    dialect,
    client,
    withReader: (f) => f(client),
    async insertEncoded({ table, columns, body, settings }) {
      if (body.byteLength === 0) return;
      const encoded = dialect.insertBody(table, columns, body);
      const clickhouse_settings = dialect.insertSettings(settings);
      // exec sends the bytes as they are: client.insert would re-encode a JSON-format stream row by row.
      const result = await client.exec({
        query: `INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) FORMAT ${encoded.format}`,
        values: Readable.from(
          [Buffer.from(encoded.body.buffer, encoded.body.byteOffset, encoded.body.byteLength)],
          {
            objectMode: false,
          },
        ),
        ...(clickhouse_settings === undefined ? {} : { clickhouse_settings }),
      });
      result.stream.resume();
      await new Promise<void>((resolve, reject) => {
        result.stream.once('end', resolve).once('error', reject);
      });
    },
    close: () => client.close(),
  };
}

/** Opens the warehouse and makes sure its database exists and is the default for every query. */
export async function openWarehouse(config: WarehouseConfig): Promise<Warehouse> {
  const db = quoteIdent(config.database);
  if (config.kind === 'chdb') await loadChdb();
  try {
    return config.kind === 'chdb' ? await openChdb(config, db) : await openServer(config, db);
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
