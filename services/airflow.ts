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
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createVenv } from './venv.ts';

export { repo } from './venv.ts';

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

const venv = createVenv({
  tool: 'airflow',
  pins: airflowPins,
  python: { min: [3, 11], max: [3, 14], why: 'Airflow 3.3 with its providers needs Python 3.11 to 3.14' },
  // A home inside the venv, which a rebuild clears.
  check: { bin: 'airflow', args: ['version'], env: () => airflowEnv(path.join(venv.dir, 'check-home')) },
});

/** Makes sure .venv-airflow holds the pinned Airflow; returns its `airflow`. Throws VenvSetupError. */
export function ensureAirflow(): string {
  venv.ensure();
  return venv.bin('airflow');
}

/** The venv's python (with Airflow importable); call ensureAirflow() first. */
export function airflowPython(): string {
  return venv.bin('python');
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
      if (migrated.status !== 0) process.stderr.write(`airflow: db migrate failed:\n${migrated.stderr}\n`);
    }
    const r = spawnSync(airflow, args, { stdio: 'inherit', env });
    process.exitCode = r.status ?? 1;
  } catch (e) {
    process.stderr.write(`airflow: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}
