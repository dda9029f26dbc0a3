/**
 * Conformance with real Airflow 3: the DAG files `farebox orchestrate export-airflow` writes for the repo's
 * pipelines/ (and for one pipeline of awkward names and quoting) load in Apache Airflow from PyPI (the venv
 * services/airflow.ts keeps in .venv-airflow) without import errors, and Airflow reads back exactly the
 * farebox Pipeline objects: schedule, catch-up, max active runs, and per task the upstream tasks, retries,
 * backoff, timeout and the command, both as BashOperator and as KubernetesPodOperator.
 *
 * No server is needed: DagBag parses the files in-process, with AIRFLOW_HOME in a temporary folder. A
 * machine that cannot build the venv (no python3 3.11–3.14, no venv or pip module, PyPI unreachable) fails
 * these tests with the reason; they never skip.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { airflowEnv, airflowPython, ensureAirflow, repo } from '../../services/airflow.ts';
import { exportAirflow, jobCommand, type AirflowOptions } from '../../src/orchestrate/airflow.ts';
import { parseConfig } from '../../src/config/index.ts';
import { openOpsDb } from '../../src/opsdb/index.ts';
import { pipelinesOf } from '../../src/cli/project.ts';
import { parsePipeline } from '../../src/orchestrate/pipeline.ts';
import type { Pipeline } from '../../src/orchestrate/types.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-airflow-conformance-'));

const models = fs
  .readdirSync(path.join(repo, 'transform', 'models'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.sql'))
  .map((f) => path.basename(f, '.sql'));
process.env.DRIVER_NOTIFY_URL ??= 'http://127.0.0.1:9/notify'; // enables the scheduled tier_changes sync
/** The repo's pipelines as farebox runs them: the pipeline files and one per scheduled sync. */
const real = pipelinesOf(parseConfig({ env: {} }));

/** Quotes, a backslash, a newline, non-ASCII, spaces, shell metacharacters; Python keywords as job names. */
const odd = parsePipeline(
  'pipelines/odd.yaml',
  `
pipeline: odd_quoting
description: "Quotes \\" and ' and a backslash \\\\ and a newline\\n— ünïcode {{ not_jinja }}"
schedule: { cron: '*/15 6-22 * * 1-5', timezone: Europe/Amsterdam }
catch_up: all
max_active_runs: 3
jobs:
  - name: build
    transform:
      command: build
      select: ["tag:it's", 'path:models/my dir/*', '+fct_trips']
      exclude: ['tag:$HOME;echo \`x\`']
    timeout: 2h
    retries: 4
    retry_delay: 1500ms
  - name: class
    freshness: { table: fct_trips, column: ingested_at, max_age: 0.5s }
    upstream: [build]
  - name: dag
    transform: { command: test }
    upstream: [build, class]
`,
  { models },
);

const bashOptions: AirflowOptions = {
  projectDir: path.join(repo, 'transform'),
  operator: 'bash',
  cwd: repo,
};
const oddOptions: AirflowOptions = {
  projectDir: '/srv/my project/transform',
  operator: 'bash',
  farebox: 'node /opt/farebox/bin/farebox.js',
};
const podOptions: AirflowOptions = {
  projectDir: '/app/transform',
  operator: 'kubernetes',
  image: 'ghcr.io/acme/farebox:1.2.3',
  namespace: 'data',
  farebox: 'farebox',
};

/** Loads a DAG folder with DagBag and writes what Airflow made of each DAG as JSON. */
const reportScript = String.raw`
import json, subprocess, sys
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization

folder, out_file = sys.argv[1], sys.argv[2]
bag = DagBag(dag_folder=folder)
if bag.import_errors:
    for f, e in bag.import_errors.items():
        print(f"import error in {f}:\n{e}", file=sys.stderr)
    sys.exit(3)

def bash_words(command):
    """The words bash makes of the command: printf prints each argument it is given, NUL-terminated."""
    printed = subprocess.run(["bash", "-c", "printf '%s\\0' " + command], capture_output=True, check=True)
    return printed.stdout.decode().split("\0")[:-1]

def seconds(td):
    return None if td is None else td.total_seconds()

dags = {}
for dag_id, dag in sorted(bag.dags.items()):
    # The scheduler works from the serialized DAG: round-trip it, as the DAG processor does.
    scheduled = DagSerialization.from_dict(DagSerialization.to_dict(dag))
    tasks = {}
    for task in dag.tasks:
        t = {
            "operator": type(task).__name__,
            "upstream": sorted(task.upstream_task_ids),
            "retries": task.retries,
            "retry_delay": seconds(task.retry_delay),
            "retry_exponential_backoff": task.retry_exponential_backoff,
            "scheduler_backoff_multiplier": scheduled.task_dict[task.task_id].retry_exponential_backoff,
            "execution_timeout": seconds(task.execution_timeout),
        }
        if t["operator"] == "BashOperator":
            t.update(argv=bash_words(task.bash_command), cwd=task.cwd)
        else:
            t.update(cmds=task.cmds, arguments=task.arguments, image=task.image, namespace=task.namespace)
        tasks[task.task_id] = t
    dags[dag_id] = {
        "file": dag.fileloc,
        "description": dag.description,
        "timetable": {"type": type(dag.timetable).__name__, **dag.timetable.serialize()},
        "start_date": dag.start_date.timestamp(),
        "catchup": dag.catchup,
        "max_active_runs": dag.max_active_runs,
        "tasks": tasks,
    }
with open(out_file, "w") as f:
    json.dump(dags, f)
`;

type Report = Record<string, unknown>;

/** What Airflow must report for a pipeline exported with these options into `dir`. */
function expected(p: Pipeline, options: AirflowOptions, dir: string): Report {
  const s = p.schedule;
  return {
    file: path.join(dir, `farebox_${p.name}.py`),
    description: p.description,
    timetable:
      s.kind === 'cron'
        ? {
            type: 'CronTriggerTimetable',
            expression: s.cron,
            timezone: s.timezone,
            interval: 0,
            run_immediately: false,
          }
        : { type: 'DeltaTriggerTimetable', delta: s.everyMs / 1000, interval: 0 },
    start_date: DateTime.fromObject(
      { year: 2026, month: 1, day: 1 },
      { zone: s.kind === 'cron' ? s.timezone : 'UTC' },
    ).toSeconds(),
    catchup: p.catchUp === 'all',
    max_active_runs: p.maxActiveRuns,
    tasks: Object.fromEntries(
      p.jobs.map((job) => {
        const argv = jobCommand(job, options);
        const command =
          options.operator === 'bash'
            ? { operator: 'BashOperator', argv, cwd: options.cwd ?? null }
            : {
                operator: 'KubernetesPodOperator',
                cmds: argv.slice(0, 1),
                arguments: argv.slice(1),
                image: options.image,
                namespace: options.namespace,
              };
        return [
          job.name,
          {
            ...command,
            upstream: [...job.upstream].sort(),
            retries: job.retries,
            retry_delay: job.retryDelayMs / 1000,
            retry_exponential_backoff: true,
            scheduler_backoff_multiplier: 2,
            execution_timeout: job.timeoutMs / 1000,
          },
        ];
      }),
    ),
  };
}

interface Loaded {
  airflow: string;
  bashDir: string;
  podDir: string;
  bash: Record<string, Report>;
  pod: Record<string, Report>;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, what: string): string {
  const r = spawnSync(cmd, args, { cwd: tmp, encoding: 'utf8', env });
  if (r.status !== 0)
    throw new Error(
      `${what} failed (${r.error?.message ?? `exit ${String(r.status ?? r.signal)}`}):\n${r.stdout}${r.stderr}`,
    );
  return r.stdout;
}

function dagReport(dir: string): Record<string, Report> {
  const home = fs.mkdtempSync(path.join(tmp, 'home-'));
  const out = path.join(home, 'report.json');
  run(
    airflowPython(),
    [path.join(tmp, 'dag_report.py'), dir, out],
    airflowEnv(home, dir),
    `DagBag on ${dir}`,
  );
  return JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, Report>;
}

function load(): Loaded {
  let airflow: string;
  try {
    airflow = ensureAirflow();
  } catch (e) {
    throw new Error(
      `cannot create the Airflow virtual environment .venv-airflow (python3 -m venv, pip install from PyPI): ${
        e instanceof Error ? e.message : String(e)
      }`,
      { cause: e },
    );
  }
  fs.writeFileSync(path.join(tmp, 'dag_report.py'), reportScript);
  const bashDir = path.join(tmp, 'dags-bash');
  const podDir = path.join(tmp, 'dags-pod');
  exportAirflow(real, bashDir, bashOptions);
  exportAirflow([odd], bashDir, oddOptions);
  exportAirflow([...real, odd], podDir, podOptions);
  return { airflow, bashDir, podDir, bash: dagReport(bashDir), pod: dagReport(podDir) };
}

let loaded: Loaded | Error;

/** Airflow's reading of the exports, or the setup failure: thrown in each test, so they fail, never skip. */
function result(): Loaded {
  if (loaded instanceof Error) throw loaded;
  return loaded;
}

// The first run builds .venv-airflow (python3 -m venv + pip install of Airflow and providers): about a
// minute with a warm pip cache, several minutes on a cold one. Later runs take a few seconds.
beforeAll(() => {
  try {
    loaded = load();
  } catch (e) {
    loaded = e instanceof Error ? e : new Error(String(e));
  }
}, 1_200_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('exported DAGs under real Airflow 3', () => {
  it('the repo has pipelines to export', () => {
    expect(real.map((p) => p.name).sort()).toEqual(['scores_nightly', 'sync_tier_changes', 'taxi', 'upkeep']);
  });

  it('BashOperator DAGs of pipelines/ load as the pipelines they came from', () => {
    const { bash, bashDir } = result();
    expect(Object.keys(bash).sort()).toEqual([...real, odd].map((p) => `farebox_${p.name}`).sort());
    for (const p of real) expect(bash[`farebox_${p.name}`]).toEqual(expected(p, bashOptions, bashDir));
  });

  it('quoting survives Python and bash: names, descriptions and selectors come back unchanged', () => {
    const { bash, bashDir } = result();
    const dag = bash[`farebox_${odd.name}`];
    expect(dag).toEqual(expected(odd, oddOptions, bashDir));
    expect(dag?.description).toBe(odd.description);
    expect(odd.description).toContain('\n');
  });

  it('KubernetesPodOperator DAGs carry the image, the namespace and the same argv', () => {
    const { pod, podDir } = result();
    expect(Object.keys(pod).sort()).toEqual([...real, odd].map((p) => `farebox_${p.name}`).sort());
    for (const p of [...real, odd]) expect(pod[`farebox_${p.name}`]).toEqual(expected(p, podOptions, podDir));
  });

  it('the airflow CLI lists the DAGs and no import errors', () => {
    const { airflow, bashDir } = result();
    const home = fs.mkdtempSync(path.join(tmp, 'cli-'));
    const env = airflowEnv(home, bashDir);
    run(airflow, ['db', 'migrate'], env, 'airflow db migrate');
    // Airflow prints warnings on stdout too; the JSON is the line that starts with '['.
    const json = (out: string): unknown =>
      JSON.parse(out.split('\n').find((l) => l.startsWith('[')) ?? 'null');
    expect(
      json(
        run(
          airflow,
          ['dags', 'list-import-errors', '--local', '-o', 'json'],
          env,
          'airflow dags list-import-errors',
        ),
      ),
    ).toEqual([]);
    const listed = json(
      run(airflow, ['dags', 'list', '--local', '-o', 'json'], env, 'airflow dags list'),
    ) as {
      dag_id: string;
    }[];
    expect(listed.map((d) => d.dag_id).sort()).toEqual([...real, odd].map((p) => `farebox_${p.name}`).sort());
  });

  it('airflow dags test runs the scores_nightly DAG end to end: each task runs farebox on embedded engines', async () => {
    const { airflow } = result();
    const home = fs.mkdtempSync(path.join(tmp, 'dags-test-'));
    const dags = path.join(home, 'dags');
    const farebox = path.join(home, 'farebox');
    const scores = real.find((p) => p.name === 'scores_nightly') as Pipeline;
    // No retries: a failing task fails the run at once instead of waiting out its retry delay.
    exportAirflow([{ ...scores, jobs: scores.jobs.map((j) => ({ ...j, retries: 0 })) }], dags, {
      projectDir: path.join(repo, 'transform'),
      operator: 'bash',
      cwd: repo,
      farebox: `${process.execPath} ${path.join(repo, 'bin/farebox.js')}`,
    });
    const env = airflowEnv(home, dags, { FAREBOX_HOME: farebox });
    run(airflow, ['db', 'migrate'], env, 'airflow db migrate');
    const out = spawnSync(airflow, ['dags', 'test', 'farebox_scores_nightly', '2026-11-25'], {
      cwd: tmp,
      encoding: 'utf8',
      env,
      timeout: 600_000,
    });
    const log = `${out.stdout}${out.stderr}`;
    expect(out.status, log).toBe(0);
    expect(log).toMatch(/DagRun Finished: dag_id=farebox_scores_nightly, .*state=success/);
    // Each task ran its farebox command and succeeded, in dependency order.
    const done = [...log.matchAll(/task_id='(\w+)'[^\n]*\n[^\n]*new_state=success/g)].map((m) => m[1]);
    expect(done).toEqual(scores.jobs.map((j) => j.name));
    // What the tasks did, read from farebox's own engines: the scores built, the sync ran into PGlite.
    expect(log).toMatch(/sync drivers run \d+: 0 added, 0 changed, 0 deleted, 0 failed/);
    const db = await openOpsDb({ kind: 'pglite', dir: path.join(farebox, 'ops') });
    try {
      expect(await db.query("SELECT to_regclass('drivers')::text AS t")).toEqual([{ t: 'drivers' }]);
    } finally {
      await db.close();
    }
  }, 900_000);
});
