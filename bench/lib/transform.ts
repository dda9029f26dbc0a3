/**
 * What the benches that build the taxi transform project share: the CLI run as a child process (as a user
 * or the scheduler would), and a wait for ClickHouse's background merges between steps.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Warehouse } from '../../src/warehouse/index.ts';

export const repo = path.resolve(import.meta.dirname, '../..');

/**
 * Waits until ClickHouse has no merge under way (none for two seconds). chDB merges only while a process has
 * it open, so parts one CLI step wrote are merged at the start of the next, competing with what that step
 * times; a warehouse that stays up (a ClickHouse server, or `farebox up`) merges them as they come.
 */
export async function settle(warehouse: Warehouse): Promise<void> {
  for (let quiet = 0, waited = 0; quiet < 10 && waited < 600; waited++) {
    const r = await warehouse.client.query({
      query: 'SELECT count() AS c FROM system.merges',
      format: 'JSONEachRow',
    });
    quiet = Number((await r.json<{ c: string }>())[0]?.c) === 0 ? quiet + 1 : 0;
    await new Promise((res) => setTimeout(res, 200));
  }
}

/**
 * `farebox transform <command> --project-dir transform` as a child process with this environment: its wall
 * time, and the time the runner itself reports in target/run_results.json.
 */
export function transform(
  command: string,
  env: NodeJS.ProcessEnv,
  projectDir = path.join(repo, 'transform'),
): { wallMs: number; runMs: number } {
  const started = performance.now();
  execFileSync(
    process.execPath,
    [path.join(repo, 'bin/farebox.js'), 'transform', ...command.split(' '), '--project-dir', projectDir],
    {
      env,
      stdio: ['ignore', 2, 2],
    },
  );
  const wallMs = Math.round(performance.now() - started);
  const results = JSON.parse(readFileSync(path.join(projectDir, 'target', 'run_results.json'), 'utf8')) as {
    elapsed_time: number;
  };
  return { wallMs, runMs: Math.round(results.elapsed_time * 1000) };
}
