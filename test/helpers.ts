/** Shared helpers of the end-to-end tests. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, type Config } from '../src/config/index.ts';
import type { Warehouse } from '../src/warehouse/index.ts';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const dataDir = path.resolve(repo, '../shared/data');
export const realFiles = [
  'yellow_tripdata_sample.csv',
  'yellow_tripdata_2025_sample.csv',
  'green_tripdata_sample.csv',
].map((f) => path.join(dataDir, f));

export async function tempHome(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `farebox-${prefix}-`));
}

export function testConfig(home: string, env: Record<string, string> = {}): Config {
  return parseConfig({ cwd: home, env: { FAREBOX_HOME: home, FAREBOX_PORT: '0', ...env } });
}

export async function rows<T>(warehouse: Warehouse, query: string): Promise<T[]> {
  const result = await warehouse.client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

export async function scalar(warehouse: Warehouse, query: string): Promise<number> {
  const [row] = await rows<Record<string, string>>(warehouse, query);
  return Number(Object.values(row ?? {})[0]);
}

/** The control API of a running `farebox up` (its URL and token from run.json): JSON in, JSON out. */
export function controlApi(info: () => { url: string; token: string }) {
  const call = async <T>(route: string, body?: unknown): Promise<T> => {
    const { url, token } = info();
    const res = await fetch(`${url}${route}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${route}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  /** The first value of the first row of a query. */
  const count = async (sql: string): Promise<number> => {
    const r = await call<{ rows: Record<string, unknown>[] }>('/v1/query', { sql });
    return Number(Object.values(r.rows[0] ?? {})[0] ?? 0);
  };
  return { call, count };
}
