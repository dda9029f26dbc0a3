/** `farebox transform …` end to end, in process, on a chDB warehouse of its own (one per test file). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './index.ts';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../transform/fixtures');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-cli-transform-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = 0;
  vi.restoreAllMocks();
});

async function farebox(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  process.exitCode = 0;
  await main(['--home', path.join(dir, 'home'), '--warehouse', `chdb:${path.join(dir, 'chdb')}`, ...args]);
  vi.restoreAllMocks();
  return { out, err, code: Number(process.exitCode ?? 0) };
}

const rides = ['--project-dir', path.join(fixtures, 'rides'), '--target-path', path.join(dir, 'target')];

describe('farebox transform', () => {
  it('ls prints the selected resources', async () => {
    const r = await farebox(
      'transform',
      'ls',
      ...rides,
      '-s',
      '+fct_rides',
      '--resource-type',
      'model',
      'seed',
    );
    expect(r.out.split('\n').filter(Boolean)).toEqual([
      'rides.marts.fct_rides',
      'rides.intermediate.int_completed',
      'rides.staging.stg_rides',
      'rides.zones',
    ]);
    expect(r.code).toBe(0);
  });

  it('warns about a selector that matches nothing, with the closest name', async () => {
    const r = await farebox('transform', 'ls', ...rides, '-s', 'fct_ride+');
    expect(r.out).toBe('');
    expect(r.err).toBe("warning: 'fct_ride+' matches nothing; did you mean 'fct_rides'?\n");
  });

  it('docs writes the manifest and the lineage graph', async () => {
    const r = await farebox('transform', 'docs', ...rides);
    expect(r.out).toContain('Found 5 models, 9 data tests, 1 seed, 1 source, 2 exposures, 2 macros');
    const lineage = JSON.parse(fs.readFileSync(path.join(dir, 'target', 'lineage.json'), 'utf8')) as {
      nodes: { id: string; type: string }[];
      edges: { from: string; to: string }[];
    };
    expect(lineage.nodes.find((n) => n.id === 'exposure.rides.rides_dashboard')?.type).toBe('exposure');
    expect(lineage.edges).toContainEqual({ from: 'model.rides.zone_rides', to: 'exposure.rides.zone_sync' });
    expect(fs.existsSync(path.join(dir, 'target', 'manifest.json'))).toBe(true);
  });

  it('seed loads the CSV and prints a dbt-style line and summary', async () => {
    const r = await farebox('transform', 'seed', ...rides);
    expect(r.out).toMatch(/1 of 1 OK loaded seed file farebox\.zones \.+ \[INSERT 3 in \d+\.\d+s\]/);
    expect(r.out).toContain('Done. PASS=1 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=1');
    expect(r.code).toBe(0);
    const results = JSON.parse(fs.readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as {
      results: { unique_id: string; status: string }[];
    };
    expect(results.results).toMatchObject([{ unique_id: 'seed.rides.zones', status: 'success' }]);
  });

  it('exits 1 on a SQL error, naming the model, its file and ClickHouse message', async () => {
    // The fixture's source table does not exist in this warehouse.
    const r = await farebox('transform', 'run', ...rides, '-s', 'stg_rides+1', '--exclude', 'zone_rides');
    expect(r.code).toBe(1);
    expect(r.out).toContain('ERROR creating sql view model farebox.stg_rides');
    expect(r.out).toContain('SKIP relation farebox.rides_log');
    expect(r.out).toContain('Database Error in model stg_rides (models/staging/stg_rides.sql)');
    expect(r.out).toMatch(/raw_rides/);
  });

  it('compile prints the SQL of the one selected model, ephemeral CTE inlined', async () => {
    const r = await farebox('transform', 'compile', ...rides, '-s', 'fct_rides');
    expect(r.code).toBe(0);
    expect(r.out).toContain('with __dbt__cte__int_completed as (');
    expect(r.out).toContain('left join `farebox`.`zones` as z on z.zone_id = r.zone_id');
  });

  it('reports a bad project as an error with a hint, before touching the warehouse', async () => {
    const r = await farebox('transform', 'ls', '--project-dir', path.join(fixtures, 'unknown-ref'));
    expect(r.code).toBe(1);
    expect(r.err).toContain("depends on a node named 'stg_trip' which was not found");
    expect(r.err).toContain("hint: did you mean ref('stg_trips')?");
  });
});
