/**
 * Pipelines as Airflow 3 DAG files: one file per pipeline, one task per job, each task running the same
 * farebox CLI command the in-process scheduler runs (jobCommand). The files import only Airflow 3's public
 * modules (airflow.sdk, the standard and cncf.kubernetes providers, airflow.timetables.trigger), so a DAG
 * folder holding them needs farebox's command on the workers (BashOperator) or in an image
 * (KubernetesPodOperator), nothing else.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FareboxError } from '../errors/index.ts';
import type { Job, Pipeline } from './types.ts';

export interface AirflowOptions {
  /** The command that runs farebox, split on spaces; 'npx farebox' when not given. */
  farebox?: string;
  /** The transform project, as the task will see it (absolute, or relative to `cwd`). */
  projectDir: string;
  operator: 'bash' | 'kubernetes';
  /** BashOperator only: the folder the command runs in (Airflow's default is a fresh temporary one). */
  cwd?: string;
  /** KubernetesPodOperator only: the image holding farebox (required) and the namespace of the pods. */
  image?: string;
  namespace?: string;
}

export const defaultFarebox = 'npx farebox';

/** A duration as a CLI argument, in the largest unit that holds it exactly: 90d, 36h, 90s, 1500ms. */
export function durationArg(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** A job's farebox command as argv: the prefix's words, then the subcommand and its arguments. */
export function jobCommand(job: Job, options: Pick<AirflowOptions, 'farebox' | 'projectDir'>): string[] {
  const prefix = (options.farebox ?? defaultFarebox).trim().split(/\s+/);
  const a = job.action;
  if (a.kind === 'replay')
    return [
      ...prefix,
      ...['orchestrate', 'replay-dead-letters'],
      ...(a.stage === undefined ? [] : ['--stage', a.stage]),
      ...(a.eventType === undefined ? [] : ['--type', a.eventType]),
    ];
  if (a.kind === 'optimize')
    return [
      ...prefix,
      ...['orchestrate', 'optimize'],
      ...a.tables.flatMap((t) => ['--table', t]),
      ...(a.final ? ['--final'] : []),
    ];
  if (a.kind === 'ttl')
    return [
      ...prefix,
      ...['orchestrate', 'ttl', '--table', a.table, '--column', a.column, '--keep', durationArg(a.keepMs)],
    ];
  if (a.kind === 'clean_objects')
    return [
      ...prefix,
      ...['orchestrate', 'clean-objects', '--min-age', durationArg(a.minAgeMs)],
      ...(a.dryRun ? ['--dry-run'] : []),
    ];
  if (a.kind === 'sync') return [...prefix, 'sync', 'run', a.sync];
  if (a.kind === 'freshness')
    return [
      ...prefix,
      ...['orchestrate', 'check-freshness', '--table', a.table, '--column', a.column],
      ...['--max-age', `${a.maxAgeMs / 1000}s`],
    ];
  return [
    ...prefix,
    'transform',
    a.command,
    ...(a.select.length > 0 ? ['-s', ...a.select] : []),
    ...(a.exclude.length > 0 ? ['--exclude', ...a.exclude] : []),
    ...['--project-dir', options.projectDir],
  ];
}

/** One argument for bash: as is when it holds only safe characters, otherwise in single quotes. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** A Python str literal: JSON's escapes (\" \\ \n \t \uXXXX …) mean the same in Python. */
const py = (s: string): string => JSON.stringify(s);
const pyList = (items: readonly string[]): string => `[${items.map(py).join(', ')}]`;
const delta = (ms: number): string => `timedelta(milliseconds=${ms})`;
/** Job names are [a-z][a-z0-9_]*; the suffix keeps them clear of Python keywords and the file's imports. */
const variable = (jobName: string): string => `${jobName}_task`;

function task(job: Job, options: AirflowOptions): string[] {
  const argv = jobCommand(job, options);
  const common = [
    `task_id=${py(job.name)}`,
    `execution_timeout=${delta(job.timeoutMs)}`,
    `retries=${job.retries}`,
    `retry_delay=${delta(job.retryDelayMs)}`,
    'retry_exponential_backoff=True',
  ];
  const specific =
    options.operator === 'bash'
      ? [
          `bash_command=${py(argv.map(shellQuote).join(' '))}`,
          ...(options.cwd === undefined ? [] : [`cwd=${py(options.cwd)}`]),
        ]
      : [
          `name=${py(`farebox-${job.name.replaceAll('_', '-')}`)}`,
          `image=${py(options.image ?? '')}`,
          ...(options.namespace === undefined ? [] : [`namespace=${py(options.namespace)}`]),
          `cmds=${pyList(argv.slice(0, 1))}`,
          `arguments=${pyList(argv.slice(1))}`,
        ];
  const operator = options.operator === 'bash' ? 'BashOperator' : 'KubernetesPodOperator';
  return [
    `    ${variable(job.name)} = ${operator}(`,
    ...[common[0] as string, ...specific, ...common.slice(1)].map((arg) => `        ${arg},`),
    '    )',
  ];
}

/**
 * The Python source of the DAG file for one pipeline. Catch-up `all` is catchup=True; `none` and `latest`
 * are both catchup=False, under which Airflow's trigger timetables run the most recent missed time (so
 * `none` runs like `latest`: Airflow has no setting that skips it). Airflow 3.3 reads
 * retry_exponential_backoff=True as a multiplier of 2: retry n waits retry_delay × 2^(n−1), plus Airflow's
 * jitter of up to as much again.
 */
export function airflowDag(pipeline: Pipeline, options: AirflowOptions): string {
  if (options.operator === 'kubernetes' && (options.image ?? '') === '')
    throw new FareboxError('config_invalid', 'the kubernetes operator needs an image holding farebox', {
      hint: 'pass --image, e.g. ghcr.io/acme/farebox:1.2.3',
    });
  const s = pipeline.schedule;
  const tz = s.kind === 'cron' ? s.timezone : 'UTC';
  const timetable =
    s.kind === 'cron'
      ? `CronTriggerTimetable(${py(s.cron)}, timezone=${py(s.timezone)})`
      : `DeltaTriggerTimetable(${delta(s.everyMs)})`;
  const operatorImport =
    options.operator === 'bash'
      ? 'from airflow.providers.standard.operators.bash import BashOperator'
      : 'from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator';
  const lines = [
    `# Generated by \`farebox orchestrate export-airflow\` from ${pipeline.file}.`,
    '# Do not edit: change the pipeline there and export again.',
    'from datetime import timedelta',
    '',
    'import pendulum',
    operatorImport,
    'from airflow.sdk import DAG',
    `from airflow.timetables.trigger import ${s.kind === 'cron' ? 'CronTriggerTimetable' : 'DeltaTriggerTimetable'}`,
    '',
    'with DAG(',
    `    dag_id=${py(`farebox_${pipeline.name}`)},`,
    `    description=${py(pipeline.description)},`,
    `    schedule=${timetable},`,
    `    start_date=pendulum.datetime(2026, 1, 1, tz=${py(tz)}),`,
    `    catchup=${pipeline.catchUp === 'all' ? 'True' : 'False'},`,
    `    max_active_runs=${pipeline.maxActiveRuns},`,
    '    tags=["farebox"],',
    ') as dag:',
    ...pipeline.jobs.flatMap((job) => task(job, options)),
    ...pipeline.jobs.flatMap((job) =>
      job.upstream.map((up) => `    ${variable(up)} >> ${variable(job.name)}`),
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** Writes `<dir>/farebox_<pipeline>.py` for each pipeline; returns the files written. */
export function exportAirflow(
  pipelines: readonly Pipeline[],
  dir: string,
  options: AirflowOptions,
): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return pipelines.map((p) => {
    const file = path.join(dir, `farebox_${p.name}.py`);
    fs.writeFileSync(file, airflowDag(p, options));
    return file;
  });
}
