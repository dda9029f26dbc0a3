/**
 * bench/reverse-etl: a model of N rows (driver scores: 8 columns of mixed types) in chDB synced into the
 * PostgreSQL server of `npm run services -- up`, once in full and again after 1% of its rows changed;
 * compared, in the same run, with PostgreSQL's own COPY of the same rows (psql's \copy of a CSV file,
 * the limit of what any loader reaches).
 *
 *   npm run services -- up && npm run bench:reverse-etl -- [rows=1000000] [batch=20000] [repeats=3]
 *
 * The whole is repeated `repeats` times (a new sync into a new table each time) and the medians are
 * reported. Goals (issue 7): the full sync at least half of COPY's rows per second; the second run under
 * 10% of the first's time, sending exactly the changed rows. Each destination table is checked against
 * the model with psql (count and sums), not with farebox's own code.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { endpoints } from '../../test/services.ts';
import { openDestination, parseSync, runSync, type SyncRunSummary } from '../../src/reverse-etl/index.ts';
import { migrate, openWarehouse, type Warehouse } from '../../src/warehouse/index.ts';

const rows = Number(process.argv[2] ?? 1_000_000);
const batch = Number(process.argv[3] ?? 20_000);
const repeats = Number(process.argv[4] ?? 3);
const pg = endpoints().postgres;
const psqlBin = (await fs.readdir('/usr/lib/postgresql')).map(
  (v) => `/usr/lib/postgresql/${v}/bin/psql`,
)[0] as string;
const psql = (sql: string): string =>
  execFileSync(psqlBin, [pg, '-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    encoding: 'utf8',
  }).trim();

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-bench-retl-'));
const warehouse: Warehouse = await openWarehouse({
  kind: 'chdb',
  path: path.join(dir, 'chdb'),
  database: 'farebox',
});
await migrate(warehouse);
const sql = (query: string) => warehouse.client.command({ query });

await sql(`CREATE TABLE bench_scores (driver_id UInt32, score UInt8, tier LowCardinality(String), trips UInt32,
  earnings Decimal(12, 2), hours Float64, last_trip Date, scored_at DateTime64(3, 'UTC'))
  ENGINE = MergeTree ORDER BY driver_id`);
await sql(`INSERT INTO bench_scores SELECT number + 1, cityHash64(number, 1) % 101,
  ['gold', 'silver', 'bronze', 'inactive'][1 + cityHash64(number, 2) % 4], cityHash64(number, 3) % 900,
  toDecimal64(cityHash64(number, 4) % 2000000 / 100, 2), round(cityHash64(number, 5) % 30000 / 100, 2),
  toDate('2025-01-01') + cityHash64(number, 6) % 365, toDateTime64('2026-11-25 03:00:00', 3, 'UTC')
  FROM numbers(${rows})`);

const runs = Array.from({ length: repeats }, (_, i) => i + 1);
const pgColumns =
  'driver_id bigint PRIMARY KEY, score smallint, tier text, trips bigint, earnings numeric(12, 2), hours double precision, last_trip date, scored_at timestamptz';
psql(
  'CREATE TABLE IF NOT EXISTS farebox_sync_batches (sync text, run_id bigint, batch_no integer, rejected jsonb NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sync, run_id, batch_no))',
);
psql(`DELETE FROM farebox_sync_batches WHERE sync LIKE 'bench_%'`);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));

const csv = path.join(dir, 'scores.csv');
async function exportCsv(): Promise<void> {
  const exported = await warehouse.client.query({
    query: `SELECT driver_id, score, tier, trips, earnings, hours, last_trip, concat(toString(scored_at, 'UTC'), 'Z') FROM bench_scores ORDER BY driver_id`,
    format: 'CSV',
  });
  await fs.writeFile(csv, await exported.text());
}

/** Collects garbage before a timed step (with --expose-gc), so that no step pays for an earlier one's. */
const collect = (): void => (globalThis as { gc?: () => void }).gc?.();

const def = (i: number) =>
  parseSync(
    'bench.yaml',
    `sync: bench_${i}\nsource:\n  model: bench_scores\n  primary_key: [driver_id]\nmode: upsert\nbatch_rows: ${batch}\ndestination:\n  postgres:\n    table: bench_sync_${i}\n    url: '${pg}'\n    create_table: true\n`,
    { models: ['bench_scores'] },
  );
async function sync(i: number): Promise<{ ms: number; summary: SyncRunSummary }> {
  const t = performance.now();
  const d = def(i);
  const destination = await openDestination(d, {});
  try {
    const summary = await runSync(d, { warehouse, destination });
    return { ms: performance.now() - t, summary };
  } finally {
    await destination.close();
  }
}

/**
 * Before a second run, both servers finish what the first run set off, as they would have long before the
 * next run in a deployment: ClickHouse its merges (chDB merges only while the process is busy with it),
 * PostgreSQL the VACUUM ANALYZE autovacuum starts about a minute after a large load (run here at once,
 * then no autovacuum worker may be busy). Otherwise the second run, a few hundred milliseconds on two
 * cores, would mostly time that aftermath. No CHECKPOINT is forced: the first change of each page after
 * one writes the whole page to the WAL, 80 MB for 10,000 scattered updates, a cost a run pays at random.
 */
async function settle(table: string): Promise<void> {
  psql(`VACUUM ANALYZE ${table}`);
  for (let quiet = 0, waited = 0; quiet < 10 && waited < 600; waited++) {
    const r = await warehouse.client.query({
      query: 'SELECT count() AS c FROM system.merges',
      format: 'JSONEachRow',
    });
    const merges = Number((await r.json<{ c: string }>())[0]?.c);
    const vacuums = Number(
      psql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"),
    );
    quiet = merges === 0 && vacuums === 0 ? quiet + 1 : 0;
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** The destination against the model, by psql: count, sums, golds. */
async function matches(table: string): Promise<boolean> {
  const held = psql(
    `SELECT count(*), sum(score), sum(earnings), sum(round(hours * 100))::bigint, count(*) FILTER (WHERE tier = 'gold') FROM ${table}`,
  ).split('|');
  const [source] = await (
    await warehouse.client.query({
      query: `SELECT concat(toString(count()), '|', toString(sum(score)), '|', toString(sum(earnings)), '|', toString(sum(round(hours * 100))), '|', toString(countIf(tier = 'gold'))) AS s FROM bench_scores`,
      format: 'JSONEachRow',
    })
  ).json<{ s: string }>();
  const want = (source?.s ?? '').split('|');
  return held.length === want.length && held.every((v, j) => Number(v) === Number(want[j]));
}

interface Repeat {
  copyMs: number;
  first: { ms: number; summary: SyncRunSummary };
  second: { ms: number; summary: SyncRunSummary };
  equal: boolean;
  heapMiB: number;
  rssMiB: number;
}

/**
 * One repeat: COPY (the limit) of the model, a first full sync into a new table, 1% of the model's rows
 * changed, the second sync; then the tables go.
 */
async function repeat(i: number): Promise<Repeat> {
  psql(
    `DROP TABLE IF EXISTS bench_copy; DROP TABLE IF EXISTS bench_sync_${i}; CREATE TABLE bench_copy (${pgColumns})`,
  );
  await exportCsv();
  const t = performance.now();
  psql(`\\copy bench_copy FROM '${csv}' WITH (FORMAT csv)`);
  const copyMs = performance.now() - t;
  psql('DROP TABLE bench_copy');
  collect();
  const first = await sync(i);
  const heapMiB = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
  const rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
  await sql(
    `ALTER TABLE bench_scores UPDATE score = (score + 1) % 101, tier = 'gold' WHERE driver_id % 100 = ${i - 1} SETTINGS mutations_sync = 2`,
  );
  await settle(`bench_sync_${i}`);
  collect();
  const second = await sync(i);
  const equal = await matches(`bench_sync_${i}`);
  psql(`DROP TABLE bench_sync_${i}`);
  return { copyMs, first, second, equal, heapMiB, rssMiB };
}

// Each repeat in a process of its own, as each `farebox sync run` is: in one process, the second runs of
// later repeats took 1.5–2× the first's (their diff query 200–300 ms against 125 ms run alone after
// them), which no change of the bench's order or garbage collection explained.
if (process.argv[5] === '--one') {
  process.stdout.write(`${JSON.stringify(await repeat(Number(process.argv[6])))}\n`);
  await warehouse.close();
  await fs.rm(dir, { recursive: true, force: true });
  process.exit(0);
}
await warehouse.close();
await fs.rm(dir, { recursive: true, force: true });
const results: Repeat[] = runs.map((i) => {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', import.meta.filename, String(rows), String(batch), String(repeats), '--one', String(i)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out.trim().split('\n').at(-1) as string) as Repeat;
});
const copyMs = results.map((r) => r.copyMs);
const first = results.map((r) => r.first);
const second = results.map((r) => r.second);
const firstMs = median(first.map((f) => f.ms));
const secondMs = median(second.map((s) => s.ms));
const report = {
  rows,
  batchRows: batch,
  repeats,
  copy: {
    ms: Math.round(median(copyMs)),
    rowsPerSecond: rate(rows, median(copyMs)),
    all: copyMs.map(Math.round),
  },
  fullSync: {
    ms: Math.round(firstMs),
    rowsPerSecond: rate(rows, firstMs),
    all: first.map((f) => Math.round(f.ms)),
    added: first.map((f) => f.summary.added),
    batches: first[0]?.summary.batches,
    heapMiB: Math.max(...results.map((r) => r.heapMiB)),
    rssMiB: Math.max(...results.map((r) => r.rssMiB)),
  },
  ratioToCopy: Number((rate(rows, firstMs) / rate(rows, median(copyMs))).toFixed(2)),
  secondSync: {
    ms: Math.round(secondMs),
    all: second.map((s) => Math.round(s.ms)),
    changed: second.map((s) => s.summary.changed),
    addedOrDeleted: second.map((s) => s.summary.added + s.summary.deleted),
  },
  secondShareOfFirst: `${((secondMs / firstMs) * 100).toFixed(1)}%`,
  destinationsEqualSource: results.every((r) => r.equal),
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
