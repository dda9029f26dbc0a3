import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FareboxError } from '../errors/index.ts';
import {
  airflowDag,
  durationArg,
  exportAirflow,
  jobCommand,
  shellQuote,
  type AirflowOptions,
} from './airflow.ts';
import { parseDuration, parsePipeline } from './pipeline.ts';
import type { Job } from './types.ts';

const models = ['stg_trips', 'fct_trips', 'dq_daily', 'driver_daily', 'driver_scores'];
const bash: AirflowOptions = { projectDir: '/srv/farebox/transform', operator: 'bash' };

function pipeline(yaml: string, file = 'pipelines/p.yaml') {
  return parsePipeline(file, yaml, { models });
}

const taxi = pipeline(`
pipeline: taxi
description: Marts, every five minutes.
schedule: { every: 5m }
max_active_runs: 2
jobs:
  - name: build_models
    transform: { command: run, select: ['+fct_trips+', dq_daily], exclude: [stg_trips] }
    timeout: 10m
    retries: 2
    retry_delay: 30s
  - name: test_models
    transform: { command: test, select: ['+fct_trips+'] }
    upstream: [build_models]
  - name: fresh
    freshness: { table: fct_trips, column: ingested_at, max_age: 10m }
    upstream: [build_models, test_models]
    timeout: 90s
`);

const nightly = pipeline(`
pipeline: nightly
schedule: { cron: '0 3 * * *', timezone: America/New_York }
catch_up: all
jobs:
  - name: build
    transform: { command: build }
`);

const job = (name: string): Job => {
  const j = taxi.jobs.find((x) => x.name === name);
  if (j === undefined) throw new Error(`no job ${name}`);
  return j;
};

describe('jobCommand', () => {
  it('gives a transform job its selectors, each its own argument, after one -s and one --exclude', () => {
    expect(jobCommand(job('build_models'), bash)).toEqual([
      'npx',
      'farebox',
      'transform',
      'run',
      '-s',
      '+fct_trips+',
      'dq_daily',
      '--exclude',
      'stg_trips',
      '--project-dir',
      '/srv/farebox/transform',
    ]);
  });

  it('leaves out -s and --exclude when there are none, and splits the farebox prefix into words', () => {
    const build = nightly.jobs[0] as Job;
    expect(
      jobCommand(build, { projectDir: 'transform', farebox: ' node  /opt/farebox/bin/farebox.js ' }),
    ).toEqual(['node', '/opt/farebox/bin/farebox.js', 'transform', 'build', '--project-dir', 'transform']);
  });

  it('gives a freshness job its table, column and maximum age in seconds', () => {
    expect(jobCommand(job('fresh'), bash)).toEqual([
      'npx',
      'farebox',
      'orchestrate',
      'check-freshness',
      '--table',
      'fct_trips',
      '--column',
      'ingested_at',
      '--max-age',
      '600s',
    ]);
  });

  it('gives a replay job its stage and event type', () => {
    const p = parsePipeline(
      'pipelines/r.yaml',
      'pipeline: r\nschedule: { every: 1h }\njobs:\n  - name: replay\n    replay_dead_letters: { stage: decode, event_type: trip_completed }\n',
      { models: [] },
    );
    expect(jobCommand(p.jobs[0] as Job, bash).slice(2)).toEqual([
      'orchestrate',
      'replay-dead-letters',
      '--stage',
      'decode',
      '--type',
      'trip_completed',
    ]);
  });

  it('gives an optimize job its tables and FINAL', () => {
    const p = parsePipeline(
      'pipelines/o.yaml',
      'pipeline: o\nschedule: { every: 1h }\njobs:\n  - name: merge\n    optimize: { tables: [raw_trips, dead_letters], final: true }\n',
      { models: [] },
    );
    expect(jobCommand(p.jobs[0] as Job, bash).slice(2)).toEqual([
      'orchestrate',
      'optimize',
      '--table',
      'raw_trips',
      '--table',
      'dead_letters',
      '--final',
    ]);
  });
});

describe('jobCommand for upkeep', () => {
  const upkeep = parsePipeline(
    'pipelines/u.yaml',
    [
      'pipeline: u',
      'schedule: { every: 1d }',
      'jobs:',
      '  - name: expire',
      '    ttl: { table: raw_vehicle_locations, column: event_time, keep: 90d }',
      '  - name: clean',
      '    clean_objects:',
      '  - name: look',
      '    clean_objects: { min_age: 90m, dry_run: true }',
      '',
    ].join('\n'),
    { models: [] },
  );
  const argv = (name: string): string[] =>
    jobCommand(upkeep.jobs.find((j) => j.name === name) as Job, bash).slice(2);

  it('gives a ttl job its table, column and how long to keep rows', () => {
    expect(argv('expire')).toEqual([
      'orchestrate',
      'ttl',
      '--table',
      'raw_vehicle_locations',
      '--column',
      'event_time',
      '--keep',
      '90d',
    ]);
  });

  it('gives a clean_objects job its minimum age and --dry-run', () => {
    expect(argv('clean')).toEqual(['orchestrate', 'clean-objects', '--min-age', '1d']);
    expect(argv('look')).toEqual(['orchestrate', 'clean-objects', '--min-age', '90m', '--dry-run']);
  });

  it('spells durations in the largest unit that holds them exactly, and they parse back', () => {
    const cases = [7_776_000_000, 129_600_000, 5_400_000, 90_000, 1500, 0.5];
    expect(cases.map(durationArg)).toEqual(['90d', '36h', '90m', '90s', '1500ms', '0.5ms']);
    expect(cases.map((ms) => parseDuration(durationArg(ms)))).toEqual(cases);
  });
});

describe('shellQuote', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(shellQuote('+fct_trips+')).toBe('+fct_trips+');
    expect(shellQuote('tag:nightly')).toBe('tag:nightly');
    expect(shellQuote('/a/b-c.d')).toBe('/a/b-c.d');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('$HOME;rm -rf *')).toBe("'$HOME;rm -rf *'");
    expect(shellQuote('')).toBe("''");
  });
});

describe('airflowDag', () => {
  const text = airflowDag(taxi, bash);

  it('says where it came from and imports Airflow 3 modules', () => {
    expect(text.split('\n').slice(0, 2)).toEqual([
      '# Generated by `farebox orchestrate export-airflow` from pipelines/p.yaml.',
      '# Do not edit: change the pipeline there and export again.',
    ]);
    expect(text).toContain('\nfrom airflow.sdk import DAG\n');
    expect(text).toContain('\nfrom airflow.providers.standard.operators.bash import BashOperator\n');
    expect(text).toContain('\nfrom airflow.timetables.trigger import DeltaTriggerTimetable\n');
    expect(text).toContain('\nfrom datetime import timedelta\n');
    expect(text).toContain('\nimport pendulum\n');
    expect(text).not.toContain('KubernetesPodOperator');
    expect(text).not.toContain('CronTriggerTimetable');
  });

  it('maps the pipeline to the DAG', () => {
    expect(text).toContain(
      [
        'with DAG(',
        '    dag_id="farebox_taxi",',
        '    description="Marts, every five minutes.",',
        '    schedule=DeltaTriggerTimetable(timedelta(milliseconds=300000)),',
        '    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),',
        '    catchup=False,',
        '    max_active_runs=2,',
      ].join('\n'),
    );
  });

  it('maps a cron schedule to a CronTriggerTimetable in its time zone, starting in that zone', () => {
    const t = airflowDag(nightly, bash);
    expect(t).toContain('\nfrom airflow.timetables.trigger import CronTriggerTimetable\n');
    expect(t).toContain('    schedule=CronTriggerTimetable("0 3 * * *", timezone="America/New_York"),\n');
    expect(t).toContain('    start_date=pendulum.datetime(2026, 1, 1, tz="America/New_York"),\n');
    expect(t).toContain('    max_active_runs=1,\n');
    expect(t).not.toContain('DeltaTriggerTimetable');
  });

  it('turns catch-up all into catchup=True and none or latest into catchup=False', () => {
    const with_ = (catchUp: string) =>
      airflowDag(
        pipeline(
          `pipeline: p\nschedule: { every: 1h }\ncatch_up: ${catchUp}\njobs: [{ name: a, transform: { command: run } }]`,
        ),
        bash,
      );
    expect(with_('all')).toContain('\n    catchup=True,\n');
    expect(with_('latest')).toContain('\n    catchup=False,\n');
    expect(with_('none')).toContain('\n    catchup=False,\n');
  });

  it('gives each task its command, timeout, retries and exponential backoff', () => {
    expect(text).toContain(
      [
        '    build_models_task = BashOperator(',
        '        task_id="build_models",',
        '        bash_command="npx farebox transform run -s +fct_trips+ dq_daily --exclude stg_trips --project-dir /srv/farebox/transform",',
        '        execution_timeout=timedelta(milliseconds=600000),',
        '        retries=2,',
        '        retry_delay=timedelta(milliseconds=30000),',
        '        retry_exponential_backoff=True,',
        '    )',
      ].join('\n'),
    );
    expect(text).toContain(
      [
        '    fresh_task = BashOperator(',
        '        task_id="fresh",',
        '        bash_command="npx farebox orchestrate check-freshness --table fct_trips --column ingested_at --max-age 600s",',
        '        execution_timeout=timedelta(milliseconds=90000),',
        '        retries=0,',
        '        retry_delay=timedelta(milliseconds=30000),',
      ].join('\n'),
    );
  });

  it('sets upstream tasks with >>, one line per edge, after the tasks', () => {
    const lines = text.trimEnd().split('\n');
    expect(lines.slice(-3)).toEqual([
      '    build_models_task >> test_models_task',
      '    build_models_task >> fresh_task',
      '    test_models_task >> fresh_task',
    ]);
  });

  it('quotes awkward selectors for bash and the result for Python', () => {
    const p = pipeline(`
pipeline: odd
description: "Say \\"hi\\" \\\\ to\\nthe fleet — ünïcode"
schedule: { every: 1h }
jobs:
  - name: build
    transform: { command: run, select: ["tag:it's", 'path:models/my dir/*'], exclude: ['tag:$HOME'] }
`);
    const t = airflowDag(p, { ...bash, projectDir: '/srv/my project' });
    expect(t).toContain('    description="Say \\"hi\\" \\\\ to\\nthe fleet — ünïcode",\n');
    expect(t).toContain(
      `        bash_command="npx farebox transform run -s 'tag:it'\\\\''s' 'path:models/my dir/*' --exclude 'tag:$HOME' --project-dir '/srv/my project'",\n`,
    );
  });

  it('runs the command in cwd when one is given', () => {
    expect(airflowDag(taxi, { ...bash, cwd: '/srv/farebox' })).toContain(
      '        bash_command="npx farebox transform test -s +fct_trips+ --project-dir /srv/farebox/transform",\n        cwd="/srv/farebox",\n',
    );
  });

  it('writes KubernetesPodOperator tasks with the image, namespace and the same argv', () => {
    const k = airflowDag(taxi, {
      projectDir: '/app/transform',
      operator: 'kubernetes',
      image: 'ghcr.io/acme/farebox:1.2.3',
      namespace: 'data',
      farebox: 'farebox',
    });
    expect(k).toContain(
      '\nfrom airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator\n',
    );
    expect(k).not.toContain('BashOperator');
    expect(k).toContain(
      [
        '    fresh_task = KubernetesPodOperator(',
        '        task_id="fresh",',
        '        name="farebox-fresh",',
        '        image="ghcr.io/acme/farebox:1.2.3",',
        '        namespace="data",',
        '        cmds=["farebox"],',
        '        arguments=["orchestrate", "check-freshness", "--table", "fct_trips", "--column", "ingested_at", "--max-age", "600s"],',
        '        execution_timeout=timedelta(milliseconds=90000),',
      ].join('\n'),
    );
    expect(k).toContain('        name="farebox-build-models",\n');
    expect(k).toContain(
      '        arguments=["transform", "run", "-s", "+fct_trips+", "dq_daily", "--exclude", "stg_trips", "--project-dir", "/app/transform"],\n',
    );
  });

  it('leaves the namespace to Airflow when none is given, and refuses kubernetes without an image', () => {
    const k = airflowDag(taxi, { ...bash, operator: 'kubernetes', image: 'farebox:dev' });
    expect(k).not.toContain('namespace=');
    expect(() => airflowDag(taxi, { ...bash, operator: 'kubernetes' })).toThrow(FareboxError);
  });
});

describe('exportAirflow', () => {
  it('writes farebox_<pipeline>.py per pipeline and returns the paths', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-airflow-')), 'dags');
    try {
      const files = exportAirflow([taxi, nightly], dir, bash);
      expect(files).toEqual([path.join(dir, 'farebox_taxi.py'), path.join(dir, 'farebox_nightly.py')]);
      expect(fs.readFileSync(files[1] as string, 'utf8')).toBe(airflowDag(nightly, bash));
    } finally {
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });
});
