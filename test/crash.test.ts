/**
 * Crash test: `kill -9` farebox mid-load, start it again, and nothing is lost or doubled:
 * loaded + dead-lettered = produced, and readers see one row per distinct event id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEngines } from '../src/cli/engines.ts';
import type { RunInfo } from '../src/cli/run-file.ts';
import type { PipelineStatus, Warehouse } from '../src/warehouse/index.ts';
import { collectStatus } from '../src/warehouse/index.ts';
import { realFiles, repo, scalar, tempHome, testConfig } from './helpers.ts';

const home = await tempHome('crash');
const env = {
  FAREBOX_HOME: home,
  FAREBOX_PORT: '0',
  FAREBOX_SINK_BATCH_ROWS: '1000',
  FAREBOX_SINK_BATCH_MS: '50',
};

function farebox(args: string[]): ChildProcess {
  return spawn(process.execPath, [path.join(repo, 'bin/farebox.js'), ...args], {
    cwd: home,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function runningStatus(): Promise<PipelineStatus | undefined> {
  try {
    const info = JSON.parse(fs.readFileSync(path.join(home, 'run.json'), 'utf8')) as RunInfo;
    const res = await fetch(`${info.url}/v1/status`, { headers: { authorization: `Bearer ${info.token}` } });
    return res.ok ? ((await res.json()) as PipelineStatus) : undefined;
  } catch {
    return undefined;
  }
}

async function until(
  check: (s: PipelineStatus) => boolean,
  child: ChildProcess,
  what: string,
): Promise<PipelineStatus> {
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`farebox exited (${child.exitCode}) while waiting for ${what}`);
    const s = await runningStatus();
    if (s !== undefined && check(s)) return s;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

describe('kill -9 mid-load', () => {
  it('loses nothing and duplicates nothing after a restart', async () => {
    // Produce only: every real TLC row is on the log, nothing loaded yet.
    const importer = farebox(['import', '--no-load', ...realFiles]);
    expect(await exited(importer)).toBe(0);

    // Start loading, and kill -9 once some but not all batches are in.
    const first = farebox(['up', '--no-simulate', '--no-schedule']);
    const mid = await until((s) => s.totals.loaded > 0 && s.totals.lag > 0, first, 'a partial load');
    first.kill('SIGKILL');
    await exited(first);
    expect(mid.totals.lag).toBeGreaterThan(0);

    // Start again: it resumes from committed offsets and catches up to the ledger.
    const second = farebox(['up', '--no-simulate', '--no-schedule']);
    await until((s) => s.totals.lag === 0, second, 'the load to finish');
    second.kill('SIGTERM');
    expect(await exited(second)).toBe(0);

    const engines = await openEngines(testConfig(home), { warehouse: true });
    try {
      const warehouse = engines.warehouse as Warehouse;
      const status = await collectStatus(engines.log, warehouse, 'farebox-sink');
      const trips = status.types.find((t) => t.type === 'trip_completed');
      expect(trips?.produced).toBe(20_000 + 6_000 + 9_764);
      expect((trips?.loaded ?? 0) + (trips?.deadLettered ?? 0)).toBe(trips?.produced);
      expect(await scalar(warehouse, 'SELECT count() FROM trips')).toBe(trips?.loaded);
      expect(await scalar(warehouse, 'SELECT uniqExact(event_id) FROM raw_trips')).toBe(trips?.loaded);
      expect(await scalar(warehouse, 'SELECT count() FROM dead_letters FINAL')).toBe(trips?.deadLettered);
    } finally {
      await engines.close();
    }
  });
});
