/**
 * Real dbt, for checking that transform/ stays a valid dbt-core + dbt-clickhouse project:
 *
 *   npm run dbt -- parse             dbt parse --project-dir transform --profiles-dir transform
 *   npm run dbt -- ls -s marts       any dbt command; --project-dir and --profiles-dir are added
 *   npm run dbt -- --version         global flags go to dbt as they are
 *
 * The first run creates a Python virtual environment in .venv-dbt/ (gitignored) with `python3 -m venv` and
 * installs the pinned dbt-core and dbt-clickhouse from PyPI (pip's cache, ~/.cache/pip, makes it quick
 * afterwards). Later runs reuse it; it is rebuilt only when the pins or the Python version change.
 * `dbt parse` needs no ClickHouse server: profiles.yml points at localhost but parse never connects.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createVenv, repo } from './venv.ts';

export { repo } from './venv.ts';
export const projectDir = path.join(repo, 'transform');

/** Exact versions: both install on Python 3.10+ from PyPI, and dbt-clickhouse 1.10.3 supports dbt-core 1.11. */
export const dbtPins = ['dbt-core==1.11.16', 'dbt-clickhouse==1.10.3'] as const;

const venv = createVenv({
  tool: 'dbt',
  pins: dbtPins,
  python: { min: [3, 10], why: 'dbt-core 1.11 needs Python 3.10 or newer' },
  check: { bin: 'dbt', args: ['--version'] },
});

/** Makes sure .venv-dbt holds the pinned dbt; returns the path of its `dbt`. Throws VenvSetupError if it cannot. */
export function ensureDbt(): string {
  venv.ensure();
  return venv.bin('dbt');
}

/** dbt's environment: no usage statistics, no version check over the network. */
export function dbtEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
    DBT_VERSION_CHECK: 'false',
    ...extra,
  };
}

/** The arguments for a dbt command on transform/: --project-dir and --profiles-dir unless given. */
export function dbtArgs(args: readonly string[]): string[] {
  const [command] = args;
  if (command === undefined || command.startsWith('-')) return [...args];
  const extra: string[] = [];
  if (!args.includes('--project-dir')) extra.push('--project-dir', projectDir);
  if (!args.includes('--profiles-dir')) extra.push('--profiles-dir', projectDir);
  return [...args, ...extra];
}

if (import.meta.main) {
  try {
    const dbt = ensureDbt();
    const r = spawnSync(dbt, dbtArgs(process.argv.slice(2)), { stdio: 'inherit', env: dbtEnv() });
    process.exitCode = r.status ?? 1;
  } catch (e) {
    process.stderr.write(`dbt: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
