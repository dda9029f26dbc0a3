/**
 * The run store on a PostgreSQL server (`npm run services -- up`): several schedulers, each with its own
 * connections, race for the same runs, and each run is taken by exactly one of them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoints } from '../../test/services.ts';
import { openOpsDb, type OpsDb } from '../opsdb/index.ts';
import { createRunStore, type RunStore } from './store.ts';

const dbs: OpsDb[] = [];
const stores: RunStore[] = [];
beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    const db = await openOpsDb({ kind: 'postgres', url: endpoints().postgres });
    dbs.push(db);
    stores.push(await createRunStore(db));
  }
});
afterAll(async () => {
  for (const db of dbs) await db.close();
});

describe('the run store on PostgreSQL', () => {
  it('gives each run to exactly one of three racing schedulers, and again only one after the lease ran out', async () => {
    const pipeline = `race_${randomUUID().slice(0, 8)}`;
    const t0 = Date.UTC(2026, 0, 1);
    const runs = Array.from({ length: 20 }, (_, i) => t0 + i * 60_000);
    for (const t of runs) await stores[0]?.enqueue(pipeline, t, 'schedule');
    const claims = await Promise.all(
      runs.flatMap((t) =>
        stores.map((s, i) => s.claim(pipeline, t, `owner-${i}`, t0, 60_000).then((ok) => ({ t, ok }))),
      ),
    );
    for (const t of runs) expect(claims.filter((c) => c.t === t && c.ok)).toHaveLength(1);
    // Every owner stopped renewing: after the lease, the runs can be taken over, once each.
    const later = t0 + 120_000;
    const again = await Promise.all(
      runs.flatMap((t) =>
        stores.map((s, i) => s.claim(pipeline, t, `late-${i}`, later, 60_000).then((ok) => ({ t, ok }))),
      ),
    );
    for (const t of runs) expect(again.filter((c) => c.t === t && c.ok)).toHaveLength(1);
    expect(await stores[1]?.active(pipeline, later)).toBe(20);
  });

  it('says which server it could not reach', async () => {
    await expect(openOpsDb({ kind: 'postgres', url: 'postgres://u:secret@127.0.0.1:1/ops' })).rejects.toThrow(
      /operational database: connect to postgres:\/\/u:\*\*\*@127.0.0.1:1\/ops/,
    );
  });
});
