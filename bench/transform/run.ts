/**
 * bench/transform: the taxi project's full build on N simulated trips, then an incremental run after M new
 * ones, on embedded engines (chDB). Trips are synthesized in ClickHouse (realistic zones, durations,
 * fares and tips over 30 days, 3,000 vehicles) so that making 10 million takes seconds, not the time of the
 * ingest pipeline, which bench/ingest-embedded measures.
 *
 *   npm run bench:transform -- [trips=10000000] [new=100000]
 *
 * Each step runs the CLI as a child process, as a user or the scheduler would: `transform run` (every
 * model) on the history, `transform test`, then `transform run` again after the new trips, which the
 * incremental models take on alone, and last `transform run --full-refresh`, whose incremental models must
 * hold exactly what the incremental run left. Each step reports its wall time (with the CLI's start-up,
 * about half a second) and the run's own elapsed time from target/run_results.json. Before the full build
 * and before the new trips arrive, the bench waits for ClickHouse's background merges to finish, as they
 * would have in a warehouse that stays up.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/index.ts';
import { migrate, openWarehouse, type Warehouse } from '../../src/warehouse/index.ts';
import { synthesizeTrips } from '../../test/synthetic-trips.ts';
import { settle, transform as runTransform } from '../lib/transform.ts';

const total = Number(process.argv[2] ?? 10_000_000);
const added = Number(process.argv[3] ?? 100_000);
const home = await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-bench-transform-'));
const env = { ...process.env, FAREBOX_HOME: home };
const config = parseConfig({ env: { FAREBOX_HOME: home } });

async function withWarehouse(f: (w: Warehouse) => Promise<void>): Promise<void> {
  const warehouse = await openWarehouse(config.warehouse);
  try {
    await migrate(warehouse);
    await f(warehouse);
  } finally {
    await warehouse.close();
  }
}

const transform = (command: string) => runTransform(command, env);

let synthMs = 0;
await withWarehouse(async (w) => {
  const t = performance.now();
  for (let from = 0; from < total; from += 2_000_000)
    await synthesizeTrips(w, { from, count: Math.min(2_000_000, total - from), days: 30, agoSeconds: 3600 });
  synthMs = Math.round(performance.now() - t);
  await settle(w);
});
const seedMs = transform('seed');
const fullMs = transform('run');
const testMs = transform('test');
await new Promise((r) => setTimeout(r, 1000)); // new rows get a later ingested_at than the build saw
await withWarehouse(async (w) => {
  await settle(w);
  await synthesizeTrips(w, { from: total, count: added, days: 1 / 24, agoSeconds: 0 });
});
const incrementalMs = transform('run');

/** Row count and an order-independent checksum of every incremental model's rows. */
const incrementalModels = ['fct_trips', 'agg_zone_hourly', 'driver_daily', 'dq_daily'];
async function fingerprints(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await withWarehouse(async (w) => {
    for (const t of incrementalModels) {
      const r = await w.client.query({
        // last_ingested_at is when the newest row of a group was loaded, which a rebuild keeps too.
        query: `SELECT count() AS c, toString(groupBitXor(cityHash64(*))) AS h FROM farebox.${t}`,
        format: 'JSONEachRow',
      });
      const row = (await r.json<{ c: string; h: string }>())[0];
      out[t] = `${row?.c} rows, hash ${row?.h}`;
    }
  });
  return out;
}
const afterIncremental = await fingerprints();
const refreshMs = transform('run --full-refresh');
const afterRefresh = await fingerprints();
const differing = incrementalModels.filter((t) => afterIncremental[t] !== afterRefresh[t]);
await fs.rm(home, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      command: `npm run bench:transform -- ${total} ${added}`,
      trips: total,
      newTrips: added,
      synthesizeMs: synthMs,
      seed: seedMs,
      fullRun: fullMs,
      tests: testMs,
      incrementalRun: incrementalMs,
      incrementalShare: {
        wall: Math.round((incrementalMs.wallMs / fullMs.wallMs) * 1000) / 1000,
        run: Math.round((incrementalMs.runMs / fullMs.runMs) * 1000) / 1000,
      },
      fullRefresh: refreshMs,
      incrementalEqualsFullRefresh: differing.length === 0 ? true : differing,
      models: afterIncremental,
    },
    null,
    2,
  )}\n`,
);
