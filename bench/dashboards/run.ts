/**
 * bench/dashboards: time to load the Fleet dashboard (every chart's query, over HTTP) on N simulated trips in
 * chDB, and in the same run the four "billion taxi rides" queries on the same trips in chDB and in DuckDB.
 *
 *   npm run bench:dashboards -- [trips=10000000] [loads=30] [git-ref]
 *
 * Trips are synthesized in ClickHouse as bench/transform does (30 days, 3,000 vehicles), with position pings
 * for the map (3,000 vehicles every 10 s over the last 2 hours); then `transform seed`, `transform run` and
 * `transform test` build and check the taxi project through the CLI. The dashboards API then runs in this
 * process on chDB (anonymous viewers allowed), served by @hono/node-server on a free port, and a load is
 * what a browser does: GET /api/dashboards/fleet, then every chart of dashboards/fleet.yaml at once with
 * the filters, each response read to the end; its time runs from the first request until the last chart is
 * read. Three filter sets (all time; the last 7 days; Manhattan over all time) get one warm-up load each,
 * then `loads` rounds of one load each, in turn. Percentiles are nearest-rank.
 *
 * Last, the four queries of Mark Litwintschik's benchmark (taxi-rides.ts) run on fct_trips in chDB and on
 * the same rows in a DuckDB table, best of 5 and median per engine, with answers compared row for row
 * (Q4's with the same rounding of ties: see taxi-rides.ts).
 *
 * With a git revision, the transform project and the dashboard files are that revision's (`git archive`
 * into the temporary home), to measure a before; by default, the working tree's.
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { parseConfig } from '../../src/config/index.ts';
import { createDashboardsApi, dashboardsApiConfig } from '../../src/dashboards/index.ts';
import { openOpsDb } from '../../src/opsdb/index.ts';
import { migrate, openWarehouse, type Warehouse } from '../../src/warehouse/index.ts';
import { synthesizeTrips } from '../../test/synthetic-trips.ts';
import { repo, settle, transform } from '../lib/transform.ts';
import { loadDashboard, percentile, type Load } from './load.ts';
import { synthesizeLocations } from './locations.ts';
import { openTaxiEngines, runTaxiQueries } from './taxi-rides.ts';

const total = Number(process.argv[2] ?? 10_000_000);
const loads = Number(process.argv[3] ?? 30);
/** A git revision whose transform/ and dashboards/ to measure instead of the working tree's (a before). */
const ref = process.argv[4];
const taxiRuns = 5;
const dashboard = 'fleet';
const home = await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-bench-dashboards-'));
const tree = ref === undefined ? repo : path.join(home, 'at-ref');
if (ref !== undefined) {
  await fs.mkdir(tree);
  execSync(`git archive ${JSON.stringify(ref)} transform dashboards | tar -x -C ${JSON.stringify(tree)}`, {
    cwd: repo,
  });
}
const projectDir = path.join(tree, 'transform');
const env = { ...process.env, FAREBOX_HOME: home };
const config = parseConfig({
  env: {
    FAREBOX_HOME: home,
    FAREBOX_DASHBOARDS_ANONYMOUS: 'viewer',
    FAREBOX_DASHBOARDS: path.join(tree, 'dashboards'),
  },
});
const began = performance.now();
const say = (line: string) =>
  process.stdout.write(`[${((performance.now() - began) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ms = (x: number) => `${Math.round(x)} ms`;
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
const best = (xs: number[]) => Math.min(...xs);
const int = (n: number) => n.toLocaleString('en-US');

async function withWarehouse<T>(f: (w: Warehouse) => Promise<T>): Promise<T> {
  const warehouse = await openWarehouse(config.warehouse);
  try {
    await migrate(warehouse);
    return await f(warehouse);
  } finally {
    await warehouse.close();
  }
}

async function scalar(w: Warehouse, query: string): Promise<string> {
  const r = await w.client.query({ query, format: 'JSONCompact' });
  return String(((await r.json()) as unknown as { data: unknown[][] }).data[0]?.[0]);
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

try {
  say(
    `home ${home}; ${int(total)} trips, ${loads} loads per filter set; transform/ and dashboards/ of ${ref ?? 'the working tree'}`,
  );
  let t = performance.now();
  const pings = await withWarehouse(async (w) => {
    for (let from = 0; from < total; from += 2_000_000)
      await synthesizeTrips(w, {
        from,
        count: Math.min(2_000_000, total - from),
        days: 30,
        agoSeconds: 3600,
      });
    say(`synthesized ${int(total)} raw trips in ${s(performance.now() - t)}`);
    t = performance.now();
    const n = await synthesizeLocations(w, { vehicles: 3000, minutes: 120, everySeconds: 10 });
    say(`synthesized ${int(n)} position pings in ${s(performance.now() - t)}`);
    await settle(w);
    return n;
  });
  const seed = transform('seed', env, projectDir);
  say(`transform seed: ${s(seed.wallMs)}`);
  const build = transform('run', env, projectDir);
  say(`transform run: ${s(build.wallMs)} (the run's own ${s(build.runMs)})`);
  const tests = transform('test', env, projectDir);
  say(`transform test: ${s(tests.wallMs)}, all passed`);

  const warehouse = await openWarehouse(config.warehouse);
  const opsDb = await openOpsDb(config.opsDb);
  let stopServer: (() => Promise<void>) | undefined;
  try {
    await settle(warehouse);
    say('merges settled');
    const app = await createDashboardsApi(
      // the API alone: the web app's files are not part of a load
      { ...dashboardsApiConfig(config), webDir: undefined },
      { warehouse, opsDb },
    );
    const base = await new Promise<string>((resolve) => {
      const srv = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
        resolve(`http://127.0.0.1:${info.port}`),
      );
      stopServer = () => new Promise<void>((done) => srv.close(() => done()));
    });
    const chdbVersion = await scalar(warehouse, 'SELECT version()');
    const fctTrips = Number(await scalar(warehouse, 'SELECT count() FROM fct_trips'));
    const now = new Date();
    const weekAgo = new Date(now.getTime() - 7 * 86_400_000);
    const filterSets: { name: string; filters: Record<string, string> }[] = [
      { name: 'all time', filters: {} },
      { name: 'last 7 days', filters: { from: weekAgo.toISOString(), to: now.toISOString() } },
      { name: 'Manhattan, all time', filters: { borough: 'Manhattan' } },
    ];
    say(`dashboards API on ${base}; fct_trips has ${int(fctTrips)} rows; ClickHouse ${chdbVersion}`);

    const results = new Map<string, Load[]>(filterSets.map((f) => [f.name, []]));
    for (const f of filterSets) {
      const warm = await loadDashboard(base, dashboard, f.filters);
      say(
        `warm-up, ${f.name}: ${ms(warm.ms)} (${warm.charts.map((c) => `${c.chart} ${ms(c.ms)}, ${int(c.rows)} rows`).join('; ')})`,
      );
    }
    for (let round = 1; round <= loads; round++) {
      const line: string[] = [];
      for (const f of filterSets) {
        const load = await loadDashboard(base, dashboard, f.filters);
        results.get(f.name)?.push(load);
        line.push(`${f.name} ${ms(load.ms)}`);
      }
      if (round % 5 === 0 || round === 1) say(`load round ${round}/${loads}: ${line.join(', ')}`);
    }

    // Summary per filter set and overall; per chart, the medians of its own request and of its query.
    const summary: string[][] = [];
    const chartRows: string[][] = [];
    const all: number[] = [];
    for (const f of filterSets) {
      const ls = results.get(f.name) ?? [];
      const times = ls.map((l) => l.ms).sort((a, b) => a - b);
      all.push(...times);
      const charts = (ls[0]?.charts ?? []).map((c) => c.chart);
      const perChart = charts.map((chart) => {
        const xs = ls.map((l) => l.charts.find((c) => c.chart === chart));
        return {
          chart,
          ms: xs.map((x) => x?.ms ?? Number.NaN),
          queryMs: xs.map((x) => x?.queryMs ?? Number.NaN),
          rows: xs[0]?.rows ?? 0,
          truncated: xs[0]?.truncated ?? false,
        };
      });
      const slowest = [...perChart].sort((a, b) => median(b.ms) - median(a.ms))[0];
      summary.push([
        f.name,
        String(ls.length),
        ms(percentile(times, 0.5)),
        ms(percentile(times, 0.95)),
        ms(times[times.length - 1] ?? Number.NaN),
        slowest === undefined ? '' : `${slowest.chart} (${ms(median(slowest.ms))})`,
      ]);
      for (const c of perChart)
        chartRows.push([
          f.name,
          c.chart,
          ms(median(c.ms)),
          ms(
            percentile(
              [...c.ms].sort((a, b) => a - b),
              0.95,
            ),
          ),
          ms(median(c.queryMs)),
          `${int(c.rows)}${c.truncated ? ' (cut)' : ''}`,
        ]);
      chartRows.push([
        f.name,
        '(the dashboard definition)',
        ms(median(ls.map((l) => l.dashboardMs))),
        '',
        '',
        '',
      ]);
    }
    all.sort((a, b) => a - b);
    summary.push([
      '**overall**',
      String(all.length),
      ms(percentile(all, 0.5)),
      `**${ms(percentile(all, 0.95))}**`,
      ms(all[all.length - 1] ?? Number.NaN),
      '',
    ]);
    const p95 = percentile(all, 0.95);
    say(`dashboard loads done: p95 ${ms(p95)} (goal: under 1 s: ${p95 < 1000 ? 'met' : 'NOT met'})`);
    await stopServer?.();
    stopServer = undefined;

    t = performance.now();
    const engines = await openTaxiEngines(warehouse, home);
    say(
      `fct_trips exported as Parquet in ${s(engines.exportMs)}, loaded into DuckDB ${engines.duckdbVersion} in ${s(engines.loadMs)} (${engines.duckdbTypes})`,
    );
    const maxThreads = await scalar(warehouse, "SELECT getSetting('max_threads')");
    const duckThreads = String((await engines.duckdb("SELECT current_setting('threads')"))[0]?.[0]);
    say(`threads: chDB max_threads ${maxThreads}, DuckDB threads ${duckThreads}`);
    const taxi = await runTaxiQueries(engines, taxiRuns);
    engines.close();
    const taxiRows = taxi.map((q) => [
      q.name,
      int(q.rows),
      (q.same ? 'yes' : '**NO**') +
        (q.differingTimed === 0 ? '' : ` (with round(): ${int(q.differingTimed)} groups differ at .5 ties)`),
      ms(best(q.chdbMs)),
      ms(median(q.chdbMs)),
      ms(best(q.duckdbMs)),
      ms(median(q.duckdbMs)),
      (best(q.chdbMs) / best(q.duckdbMs)).toFixed(2),
      (median(q.chdbMs) / median(q.duckdbMs)).toFixed(2),
    ]);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const bestC = sum(taxi.map((q) => best(q.chdbMs)));
    const bestD = sum(taxi.map((q) => best(q.duckdbMs)));
    const medC = sum(taxi.map((q) => median(q.chdbMs)));
    const medD = sum(taxi.map((q) => median(q.duckdbMs)));
    const geo = (f: (q: (typeof taxi)[number]) => number) =>
      Math.exp(sum(taxi.map((q) => Math.log(f(q)))) / taxi.length);
    taxiRows.push([
      '**all four** (sum; ratio of sums)',
      '',
      taxi.every((q) => q.same) ? 'yes' : '**NO**',
      ms(bestC),
      ms(medC),
      ms(bestD),
      ms(medD),
      `**${(bestC / bestD).toFixed(2)}**`,
      `**${(medC / medD).toFixed(2)}**`,
    ]);
    taxiRows.push([
      'geometric mean of the ratios',
      '',
      '',
      '',
      '',
      '',
      '',
      geo((q) => best(q.chdbMs) / best(q.duckdbMs)).toFixed(2),
      geo((q) => median(q.chdbMs) / median(q.duckdbMs)).toFixed(2),
    ]);
    say('billion-taxi-rides queries done');

    const chdbPackage = JSON.parse(
      readFileSync(path.join(repo, 'node_modules/chdb/package.json'), 'utf8'),
    ) as { version: string };
    process.stdout.write(
      [
        '',
        `date ${new Date().toISOString()}; machine ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; Node ${process.version}`,
        `chDB ${chdbPackage.version} (ClickHouse ${chdbVersion}); DuckDB ${engines.duckdbVersion}`,
        `command: npm run bench:dashboards -- ${total} ${loads}${ref === undefined ? '' : ` ${ref}`}`,
        `data: ${int(total)} raw trips → fct_trips ${int(fctTrips)} rows; ${int(pings)} position pings`,
        `build: transform seed ${s(seed.wallMs)}, run ${s(build.wallMs)}, test ${s(tests.wallMs)}`,
        '',
        `Fleet dashboard loads (GET the dashboard, then its ${results.get('all time')?.[0]?.charts.length ?? '?'} charts at once; ${loads} loads per filter set after one warm-up):`,
        '',
        table(['filter set', 'loads', 'p50', 'p95', 'max', 'slowest chart (median)'], summary),
        '',
        'Per chart (its request from sending to body read; the query time the API reports):',
        '',
        table(['filter set', 'chart', 'median', 'p95', 'query median', 'rows'], chartRows),
        '',
        `Billion taxi rides on fct_trips (${int(fctTrips)} rows), best of ${taxiRuns} and median, warm:`,
        '',
        table(
          [
            'query',
            'rows',
            'same answer',
            'chDB best',
            'chDB median',
            'DuckDB best',
            'DuckDB median',
            'ratio best',
            'ratio median',
          ],
          taxiRows,
        ),
        '',
        `sums of the last column (chDB): ${taxi.map((q) => `${q.name.slice(0, 2)} ${Math.round(q.sum * 100) / 100}`).join(', ')}`,
        '',
      ].join('\n'),
    );
  } finally {
    await stopServer?.();
    await opsDb.close();
    await warehouse.close();
  }
} finally {
  await fs.rm(home, { recursive: true, force: true });
}
