/**
 * One run of a sync at a time, across processes: a lease row in the operational database, taken before a
 * run and renewed while it goes. Another process asking for the same sync is refused (retriable) until the
 * lease is released or runs out (a holder that died frees it after `ttlMs`).
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { FareboxError } from '../errors/index.ts';
import type { OpsDb } from '../opsdb/index.ts';

const table = 'farebox_sync_leases';

export async function withSyncLease<T>(
  db: OpsDb,
  sync: string,
  f: () => Promise<T>,
  options: { ttlMs?: number } = {},
): Promise<T> {
  const ttl = `${Math.round((options.ttlMs ?? 120_000) / 1000)} seconds`;
  const owner = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  await db.query(
    `CREATE TABLE IF NOT EXISTS ${table} (sync text PRIMARY KEY, owner text NOT NULL, until timestamptz NOT NULL)`,
  );
  const taken = await db.query<{ owner: string }>(
    `INSERT INTO ${table} (sync, owner, until) VALUES ($1, $2, now() + $3::interval)
     ON CONFLICT (sync) DO UPDATE SET owner = EXCLUDED.owner, until = EXCLUDED.until
     WHERE ${table}.until < now()
     RETURNING owner`,
    [sync, owner, ttl],
  );
  if (taken.length === 0) {
    const [holder] = await db.query<{ owner: string; until: Date }>(
      `SELECT owner, until FROM ${table} WHERE sync = $1`,
      [sync],
    );
    throw new FareboxError(
      'sync_busy',
      `sync ${sync} is running in another process (${holder?.owner ?? 'unknown'}, lease until ${holder?.until.toISOString() ?? '?'})`,
      { retriable: true, hint: 'wait for it to finish (farebox sync runs), or for its lease to run out' },
    );
  }
  const renew = setInterval(
    () =>
      void db
        .query(`UPDATE ${table} SET until = now() + $3::interval WHERE sync = $1 AND owner = $2`, [
          sync,
          owner,
          ttl,
        ])
        .catch(() => undefined),
    Math.max(1000, (options.ttlMs ?? 120_000) / 3),
  );
  renew.unref();
  try {
    return await f();
  } finally {
    clearInterval(renew);
    await db
      .query(`DELETE FROM ${table} WHERE sync = $1 AND owner = $2`, [sync, owner])
      .catch(() => undefined);
  }
}
