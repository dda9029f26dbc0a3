/**
 * The operational database: PGlite (PostgreSQL in WebAssembly) in a folder on embedded engines, a
 * PostgreSQL server otherwise, chosen by FAREBOX_OPS_DB. Both speak the same SQL; farebox keeps the
 * scheduler's run history and leases here, and reverse ETL writes the fleet's tables.
 */
import fs from 'node:fs';
import type { OpsDbConfig } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';
import type { CopyStreamQuery } from 'pg-copy-streams';

/** What runs statements: the database, or one transaction of it. */
export interface Queryable {
  /** One statement with $1, $2 … parameters. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * `COPY table (columns) FROM STDIN` of text in PostgreSQL's text format (tab-separated, \N for NULL,
   * backslash escapes): the fastest way rows go in.
   */
  copyFrom(table: string, columns: string[], text: string): Promise<void>;
}

export interface OpsDb extends Queryable {
  readonly kind: OpsDbConfig['kind'];
  /** Runs `f` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(f: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Several statements, no parameters (schema set-up). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** The SQLSTATE of a failed statement (e.g. '23505' unique violation), through our wrapping. */
export function sqlState(e: unknown): string | undefined {
  for (let x: unknown = e; x !== undefined && x !== null; x = (x as { cause?: unknown }).cause) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

function opsError(what: string, e: unknown): FareboxError {
  const message = e instanceof Error ? e.message : String(e);
  return new FareboxError('ops_db', `operational database: ${what}: ${message}`, {
    cause: e,
    retriable: true,
  });
}

async function copyInto(
  client: { query: (stream: CopyStreamQuery) => CopyStreamQuery },
  table: string,
  columns: string[],
  text: string,
): Promise<void> {
  const { from } = await import('pg-copy-streams');
  const { pipeline } = await import('node:stream/promises');
  const { Readable } = await import('node:stream');
  try {
    const stream = client.query(from(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
    await pipeline(Readable.from([Buffer.from(text)]), stream);
  } catch (e) {
    throw opsError(`COPY into ${table} failed`, e);
  }
}

export async function openOpsDb(config: OpsDbConfig): Promise<OpsDb> {
  if (config.kind === 'pglite') {
    const { PGlite } = await import('@electric-sql/pglite');
    if (config.dir !== 'memory://') fs.mkdirSync(config.dir, { recursive: true });
    let db: InstanceType<typeof PGlite>;
    try {
      db = await PGlite.create(config.dir === 'memory://' ? undefined : config.dir);
    } catch (e) {
      throw opsError(`open PGlite in ${config.dir}`, e);
    }
    const ops: OpsDb = {
      kind: 'pglite',
      async query<T>(sql: string, params: unknown[] = []) {
        try {
          return (await db.query<T>(sql, params)).rows;
        } catch (e) {
          throw opsError('query failed', e);
        }
      },
      async exec(sql) {
        try {
          await db.exec(sql);
        } catch (e) {
          throw opsError('statements failed', e);
        }
      },
      copyFrom: (table, columns, text) => ops.transaction((tx) => tx.copyFrom(table, columns, text)),
      transaction: (f) =>
        db.transaction((tx) =>
          f({
            async query<T>(sql: string, params: unknown[] = []) {
              try {
                return (await tx.query<T>(sql, params)).rows;
              } catch (e) {
                throw opsError('query failed', e);
              }
            },
            async copyFrom(table, columns, text) {
              try {
                // PGlite reads COPY input from a blob it is handed as the file /dev/blob.
                await tx.query(`COPY ${table} (${columns.join(', ')}) FROM '/dev/blob'`, [], {
                  blob: new Blob([text]),
                });
              } catch (e) {
                throw opsError(`COPY into ${table} failed`, e);
              }
            },
          }),
        ),
      close: () => db.close(),
    };
    return ops;
  }
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: config.url, max: 4 });
  try {
    await pool.query('SELECT 1');
  } catch (e) {
    await pool.end();
    throw opsError(`connect to ${config.url.replace(/:[^:@/]*@/, ':***@')}`, e);
  }
  const ops: OpsDb = {
    kind: 'postgres',
    async query<T>(sql: string, params: unknown[] = []) {
      try {
        return (await pool.query(sql, params)).rows as T[];
      } catch (e) {
        throw opsError('query failed', e);
      }
    },
    async exec(sql) {
      try {
        await pool.query(sql);
      } catch (e) {
        throw opsError('statements failed', e);
      }
    },
    copyFrom: (table, columns, text) => ops.transaction((tx) => tx.copyFrom(table, columns, text)),
    async transaction(f) {
      let client;
      try {
        client = await pool.connect();
      } catch (e) {
        throw opsError('connect', e);
      }
      const tx: Queryable = {
        async query<T>(sql: string, params: unknown[] = []) {
          try {
            return (await client.query(sql, params)).rows as T[];
          } catch (e) {
            throw opsError('query failed', e);
          }
        },
        copyFrom: (table, columns, text) => copyInto(client, table, columns, text),
      };
      try {
        await tx.query('BEGIN');
        const result = await f(tx);
        await tx.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
  return ops;
}
