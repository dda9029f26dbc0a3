/**
 * The operational database: PGlite (PostgreSQL in WebAssembly) in a folder on embedded engines, a
 * PostgreSQL server otherwise, chosen by FAREBOX_OPS_DB. Both speak the same SQL; farebox keeps the
 * scheduler's run history and leases here, and reverse ETL writes the fleet's tables.
 */
import fs from 'node:fs';
import type { OpsDbConfig } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';

export interface OpsDb {
  readonly kind: OpsDbConfig['kind'];
  /** One statement with $1, $2 … parameters. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements, no parameters (schema set-up). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

function opsError(what: string, e: unknown): FareboxError {
  const message = e instanceof Error ? e.message : String(e);
  return new FareboxError('ops_db', `operational database: ${what}: ${message}`, {
    cause: e,
    retriable: true,
  });
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
    return {
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
      close: () => db.close(),
    };
  }
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: config.url, max: 4 });
  try {
    await pool.query('SELECT 1');
  } catch (e) {
    await pool.end();
    throw opsError(`connect to ${config.url.replace(/:[^:@/]*@/, ':***@')}`, e);
  }
  return {
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
    close: () => pool.end(),
  };
}
