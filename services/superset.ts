/**
 * Real Apache Superset, for checking that the bundle `farebox dashboards export-superset` writes imports
 * into Superset as farebox's dashboards:
 *
 *   npm run superset -- version
 *   npm run superset -- import-dashboards -p farebox-superset.zip -u admin
 *                                       a throwaway SUPERSET_HOME: migrated, admin user, roles, then the command
 *   SUPERSET_HOME=.scratch/superset npm run superset -- import-dashboards -p farebox-superset.zip -u admin
 *   SUPERSET_HOME=.scratch/superset npm run superset -- run -p 8088
 *                                       a home that stays: look at the dashboards (admin / admin)
 *
 * The first run creates a Python virtual environment in .venv-superset/ (gitignored) with `python3 -m
 * venv` and installs the pinned Superset and ClickHouse driver from PyPI (about 1.5 min from an empty pip
 * cache; quick afterwards). The metadata database is SQLite in SUPERSET_HOME, the config a
 * superset_config.py written there (SECRET_KEY, ENABLE_TEMPLATE_PROCESSING on): no server is needed to
 * import, and none to reach ClickHouse (Superset warns that it cannot list the database's schemas).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createVenv, VenvSetupError } from './venv.ts';

export { repo } from './venv.ts';

/**
 * Exact versions from PyPI: Superset 6.1.0 (Python 3.10–3.12) and clickhouse-connect 1.12.0 (the
 * `clickhousedb://` SQLAlchemy dialect). Superset's own dependency ranges let pip pick releases that break
 * 6.1.0, so three are pinned to what it was released with: flask-caching 2.3 (2.5 passes an argument
 * Superset's metastore cache rejects: `ignore_delete_many_errors`), Flask-Limiter 3.12 (4.x no longer
 * brings `rich`, which the superset command imports) and cachetools (imported by Superset, declared by
 * none of its dependencies any more).
 */
export const supersetPins = [
  'apache-superset==6.1.0',
  'clickhouse-connect==1.12.0',
  'flask-caching==2.3.1',
  'Flask-Limiter==3.12',
  'cachetools==6.2.1',
] as const;

/** The admin user initSuperset() creates, which `import-dashboards -u admin` acts as. */
export const supersetAdmin = { username: 'admin', password: 'admin' } as const;

const venv = createVenv({
  tool: 'superset',
  pins: supersetPins,
  python: { min: [3, 10], max: [3, 12], why: 'Superset 6.1 needs Python 3.10 to 3.12' },
  // A home inside the venv, which a rebuild clears.
  check: { bin: 'superset', args: ['version'], env: () => supersetEnv(path.join(venv.dir, 'check-home')) },
});

/** Makes sure .venv-superset holds the pinned Superset; returns its `superset`. Throws VenvSetupError. */
export function ensureSuperset(): string {
  venv.ensure();
  return venv.bin('superset');
}

/** The venv's python (with Superset importable); call ensureSuperset() first. */
export function supersetPython(): string {
  return venv.bin('python');
}

const config = `# Written by farebox's services/superset.ts: a local, throwaway Superset.
import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(os.environ["SUPERSET_HOME"], "superset.db")
# farebox's datasets turn {from}, {to} and {borough} into Jinja.
FEATURE_FLAGS = {"ENABLE_TEMPLATE_PROCESSING": True}
`;

/**
 * Superset's environment for a home folder (created if missing, the caller owns it): SUPERSET_HOME with the
 * SQLite metadata database, SUPERSET_CONFIG_PATH a superset_config.py there, a local-only SECRET_KEY.
 */
export function supersetEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  fs.mkdirSync(home, { recursive: true });
  const configPath = path.join(home, 'superset_config.py');
  if (!fs.existsSync(configPath)) fs.writeFileSync(configPath, config);
  return {
    ...process.env,
    SUPERSET_HOME: home,
    SUPERSET_CONFIG_PATH: configPath,
    SUPERSET_SECRET_KEY: 'farebox-local-only-superset-secret-key',
    SUPERSET_FEATURE_ENABLE_TEMPLATE_PROCESSING: 'true',
    FLASK_APP: 'superset',
    PYTHONWARNINGS: 'ignore',
    ...extra,
  };
}

/** Runs one superset command, its output captured; throws with the output's tail if it fails. */
export function runSuperset(args: string[], env: NodeJS.ProcessEnv): { stdout: string; stderr: string } {
  const r = spawnSync(ensureSuperset(), args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0)
    throw new VenvSetupError(
      `superset ${args.join(' ')} failed (${r.error?.message ?? `exit ${String(r.status ?? r.signal)}`}):\n` +
        `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-30).join('\n'),
    );
  return { stdout: r.stdout, stderr: r.stderr };
}

/** What `import-dashboards -u admin` needs in a new home: the migrated database, the admin user, the roles. */
export function initSuperset(env: NodeJS.ProcessEnv): void {
  runSuperset(['db', 'upgrade'], env);
  const { username, password } = supersetAdmin;
  runSuperset(
    ['fab', 'create-admin', '--username', username, '--password', password].concat([
      '--firstname',
      'Local',
      '--lastname',
      'Admin',
      '--email',
      'admin@localhost',
    ]),
    env,
  );
  runSuperset(['init'], env);
}

if (import.meta.main) {
  const given = process.env.SUPERSET_HOME;
  const home = given ?? fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-superset-'));
  try {
    const superset = ensureSuperset();
    const env = supersetEnv(path.resolve(home));
    const args = process.argv.slice(2);
    if (args.length > 0 && !['version', '--help', '--version'].includes(args[0] as string)) {
      if (!fs.existsSync(path.join(home, 'superset.db'))) initSuperset(env);
    }
    const r = spawnSync(superset, args, { stdio: 'inherit', env });
    process.exitCode = r.status ?? 1;
  } catch (e) {
    process.stderr.write(`superset: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  } finally {
    if (given === undefined) fs.rmSync(home, { recursive: true, force: true });
  }
}
