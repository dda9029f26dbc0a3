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
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const venv = path.join(repo, '.venv-dbt');
export const projectDir = path.join(repo, 'transform');

/** Exact versions: both install on Python 3.10+ from PyPI, and dbt-clickhouse 1.10.3 supports dbt-core 1.11. */
export const dbtPins = ['dbt-core==1.11.16', 'dbt-clickhouse==1.10.3'] as const;

const stampFile = path.join(venv, 'farebox-pins.json');
const lockFile = `${venv}.lock`;
const python = 'python3';
const dbtBin = path.join(venv, 'bin', 'dbt');

export class DbtSetupError extends Error {}

function say(line: string): void {
  process.stderr.write(`dbt: ${line}\n`);
}

function capture(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** What the venv was built from; a different value means rebuild. */
function wantedStamp(): string {
  let version: string;
  try {
    version = capture(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])']);
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim() ?? '';
    throw new DbtSetupError(`cannot run ${python} (needed for dbt): ${stderr || String(e)}`, { cause: e });
  }
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < 3 || (major === 3 && minor < 10))
    throw new DbtSetupError(`dbt-core 1.11 needs Python 3.10 or newer; ${python} is ${version}`);
  return JSON.stringify({ python: version, pins: dbtPins });
}

function currentStamp(): string | undefined {
  try {
    return fs.existsSync(dbtBin) ? fs.readFileSync(stampFile, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** One installer at a time (a test and `npm run dbt` may start together); a lock older than 15 min is stale. */
function withLock<T>(fn: () => T): T {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = Date.now() - (fs.statSync(lockFile, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 15 * 60_000) fs.rmSync(lockFile, { force: true });
      else if (Date.now() > deadline) throw new DbtSetupError(`timed out waiting for ${lockFile}`);
      else sleepSync(500);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

function install(stamp: string): void {
  const log = path.join(repo, '.venv-dbt.log');
  const step = (what: string, cmd: string, args: string[]) => {
    fs.appendFileSync(log, `\n$ ${cmd} ${args.join(' ')}\n`);
    const fd = fs.openSync(log, 'a');
    try {
      const r = spawnSync(cmd, args, { stdio: ['ignore', fd, fd] });
      if (r.status !== 0)
        throw new DbtSetupError(
          `${what} failed (${r.error?.message ?? `exit ${String(r.status ?? r.signal)}`}); see ${log}:\n` +
            fs.readFileSync(log, 'utf8').slice(-2000),
        );
    } finally {
      fs.closeSync(fd);
    }
  };
  fs.writeFileSync(log, `farebox: installing ${dbtPins.join(' ')} into ${venv}\n`);
  say(`creating ${path.relative(repo, venv)} with ${dbtPins.join(', ')} from PyPI (once; log: ${log})`);
  const started = Date.now();
  step('python3 -m venv', python, ['-m', 'venv', '--clear', venv]);
  const pip = path.join(venv, 'bin', 'pip');
  step('pip install', pip, ['install', '--disable-pip-version-check', '--quiet', ...dbtPins]);
  step('dbt --version', dbtBin, ['--version']);
  fs.writeFileSync(stampFile, stamp);
  say(`ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** Makes sure .venv-dbt holds the pinned dbt; returns the path of its `dbt`. Throws DbtSetupError if it cannot. */
export function ensureDbt(): string {
  const stamp = wantedStamp();
  if (currentStamp() === stamp) return dbtBin;
  return withLock(() => {
    if (currentStamp() !== stamp) install(stamp);
    return dbtBin;
  });
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
    say(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  }
}
