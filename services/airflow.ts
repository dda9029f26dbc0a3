/**
 * Real Apache Airflow 3, for checking that the DAG files `farebox orchestrate export-airflow` writes load
 * in Airflow as the pipelines they came from:
 *
 *   npm run airflow -- version                      any airflow command, in a throwaway AIRFLOW_HOME
 *   AIRFLOW__CORE__DAGS_FOLDER=dags npm run airflow -- dags list --local
 *                                                   DAG commands get a fresh metadata database first
 *
 * The first run creates a Python virtual environment in .venv-airflow/ (gitignored) with `python3 -m venv`
 * and installs the pinned Airflow and providers from PyPI (pip's cache, ~/.cache/pip, makes it quick
 * afterwards). Later runs reuse it; it is rebuilt only when the pins or the Python version change.
 * Airflow's constraints files live on GitHub, which this setup does not rely on, so the packages farebox's
 * DAGs import are pinned here and pip resolves the rest. Loading DAGs needs no server: airflowEnv() points
 * AIRFLOW_HOME at a temporary folder with a SQLite database and the example DAGs off.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const venv = path.join(repo, '.venv-airflow');

/**
 * Exact versions from PyPI: Airflow 3.3.2 (it pins apache-airflow-core 3.3.2 and apache-airflow-task-sdk
 * 1.3.2; Python 3.10–3.14), the standard provider (BashOperator) and the cncf.kubernetes provider
 * (KubernetesPodOperator), both for Airflow 3 on Python 3.11 or newer.
 */
export const airflowPins = [
  'apache-airflow==3.3.2',
  'apache-airflow-providers-standard==1.21.0',
  'apache-airflow-providers-cncf-kubernetes==10.25.0',
] as const;

const stampFile = path.join(venv, 'farebox-pins.json');
const lockFile = `${venv}.lock`;
const python = 'python3';
const venvPython = path.join(venv, 'bin', 'python');
const airflowBin = path.join(venv, 'bin', 'airflow');

export class AirflowSetupError extends Error {}

function say(line: string): void {
  process.stderr.write(`airflow: ${line}\n`);
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
    throw new AirflowSetupError(`cannot run ${python} (needed for Airflow): ${stderr || String(e)}`, {
      cause: e,
    });
  }
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major !== 3 || minor < 11 || minor > 14)
    throw new AirflowSetupError(
      `Airflow 3.3 with its providers needs Python 3.11 to 3.14; ${python} is ${version}`,
    );
  return JSON.stringify({ python: version, pins: airflowPins });
}

function currentStamp(): string | undefined {
  try {
    return fs.existsSync(airflowBin) ? fs.readFileSync(stampFile, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** One installer at a time (a test and `npm run airflow` may start together); a 20-min-old lock is stale. */
function withLock<T>(fn: () => T): T {
  const stale = 20 * 60_000;
  const deadline = Date.now() + stale;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = Date.now() - (fs.statSync(lockFile, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > stale) fs.rmSync(lockFile, { force: true });
      else if (Date.now() > deadline) throw new AirflowSetupError(`timed out waiting for ${lockFile}`);
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
  const log = path.join(repo, '.venv-airflow.log');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-airflow-setup-'));
  const step = (what: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv) => {
    fs.appendFileSync(log, `\n$ ${cmd} ${args.join(' ')}\n`);
    const fd = fs.openSync(log, 'a');
    try {
      const r = spawnSync(cmd, args, { stdio: ['ignore', fd, fd], ...(env === undefined ? {} : { env }) });
      if (r.status !== 0)
        throw new AirflowSetupError(
          `${what} failed (${r.error?.message ?? `exit ${String(r.status ?? r.signal)}`}); see ${log}:\n` +
            fs.readFileSync(log, 'utf8').slice(-2000),
        );
    } finally {
      fs.closeSync(fd);
    }
  };
  fs.writeFileSync(log, `farebox: installing ${airflowPins.join(' ')} into ${venv}\n`);
  say(`creating ${path.relative(repo, venv)} with ${airflowPins.join(', ')} from PyPI (once; log: ${log})`);
  const started = Date.now();
  try {
    step('python3 -m venv', python, ['-m', 'venv', '--clear', venv]);
    const pip = path.join(venv, 'bin', 'pip');
    step('pip install', pip, ['install', '--disable-pip-version-check', '--quiet', ...airflowPins]);
    step('airflow version', airflowBin, ['version'], airflowEnv(home));
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
  fs.writeFileSync(stampFile, stamp);
  say(`ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** Makes sure .venv-airflow holds the pinned Airflow; returns its `airflow`. Throws AirflowSetupError. */
export function ensureAirflow(): string {
  const stamp = wantedStamp();
  if (currentStamp() === stamp) return airflowBin;
  return withLock(() => {
    if (currentStamp() !== stamp) install(stamp);
    return airflowBin;
  });
}

/** The venv's python (with Airflow importable); call ensureAirflow() first. */
export function airflowPython(): string {
  return venvPython;
}

/**
 * Airflow's environment for loading DAGs without a server: AIRFLOW_HOME in `home` (a temporary folder the
 * caller owns), a SQLite database there, no example DAGs, DAGs read from `dagsFolder` when given.
 */
export function airflowEnv(
  home: string,
  dagsFolder?: string,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AIRFLOW_HOME: home,
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${path.join(home, 'airflow.db')}`,
    AIRFLOW__CORE__DAGS_FOLDER: dagsFolder ?? path.join(home, 'dags'),
    ...extra,
  };
}

if (import.meta.main) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-airflow-'));
  try {
    const airflow = ensureAirflow();
    const env = airflowEnv(home, process.env.AIRFLOW__CORE__DAGS_FOLDER);
    const args = process.argv.slice(2);
    // Commands that read DAGs need the (throwaway) metadata database: create it first, quietly.
    if (args.length > 0 && !['version', 'db', 'config', 'info', 'cheat-sheet'].includes(args[0] as string)) {
      const migrated = spawnSync(airflow, ['db', 'migrate'], { stdio: 'pipe', env, encoding: 'utf8' });
      if (migrated.status !== 0) say(`airflow db migrate failed:\n${migrated.stderr}`);
    }
    const r = spawnSync(airflow, args, { stdio: 'inherit', env });
    process.exitCode = r.status ?? 1;
  } catch (e) {
    say(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}
