/** The few warehouse calls the runner makes, with ClickHouse's own message kept for the report. */
import type { Warehouse } from '../warehouse/index.ts';
import { sqlString } from '../warehouse/index.ts';
import { FareboxError } from '../errors/index.ts';
import { quoteIdent } from './relation.ts';

export interface Db {
  command(sql: string): Promise<void>;
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** 'table' | 'view', or undefined when nothing by that name exists. */
  kindOf(schema: string, name: string): Promise<'table' | 'view' | undefined>;
  columnsOf(schema: string, name: string): Promise<string[]>;
  ensureSchema(schema: string): Promise<void>;
}

/** A statement ClickHouse refused, worded as ClickHouse words it (`Code: 47. DB::Exception: … (TYPE)`). */
export function databaseError(e: unknown): FareboxError {
  if (e instanceof FareboxError) return e;
  const message = (e instanceof Error ? e.message : String(e)).trim();
  const { code, type } = (e ?? {}) as { code?: unknown; type?: unknown };
  const text =
    typeof code === 'string' && /^\d+$/.test(code) && !message.startsWith('Code:')
      ? `Code: ${code}. DB::Exception: ${message}${typeof type === 'string' ? ` (${type})` : ''}`
      : message;
  return new FareboxError('warehouse', text, { cause: e });
}

export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

export function createDb(warehouse: Warehouse): Db {
  const { client } = warehouse;
  const ensured = new Set<string>();
  const db: Db = {
    async command(sql) {
      try {
        await client.command({ query: sql });
      } catch (e) {
        throw databaseError(e);
      }
    },
    async rows<T>(sql: string) {
      try {
        const result = await client.query({ query: sql, format: 'JSONEachRow' });
        return await result.json<T>();
      } catch (e) {
        throw databaseError(e);
      }
    },
    async kindOf(schema, name) {
      const found = await db.rows<{ engine: string }>(
        `SELECT engine FROM system.tables WHERE database = ${sqlString(schema)} AND name = ${sqlString(name)}`,
      );
      const engine = found[0]?.engine;
      if (engine === undefined) return undefined;
      return engine === 'View' || engine === 'MaterializedView' ? 'view' : 'table';
    },
    async columnsOf(schema, name) {
      const cols = await db.rows<{ name: string }>(
        `SELECT name FROM system.columns WHERE database = ${sqlString(schema)} AND table = ${sqlString(name)} ORDER BY position`,
      );
      return cols.map((c) => c.name);
    },
    async ensureSchema(schema) {
      if (ensured.has(schema)) return;
      await db.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(schema)}`);
      ensured.add(schema);
    },
  };
  return db;
}
