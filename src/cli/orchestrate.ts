/** `farebox orchestrate …`: pipelines, their run history, manual runs and backfills, freshness, Airflow export. */
import path from 'node:path';
import { Command, Option } from 'commander';
import type { Config } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';
import { openOpsDb } from '../opsdb/index.ts';
import {
  createRunStore,
  durationArg,
  exportAirflow,
  freshnessOf,
  nextFireTime,
  optimize,
  queueBackfill,
  parseDuration,
  type JobAction,
  type JobRun,
  type Pipeline,
  type PipelineRun,
  type RunStore,
} from '../orchestrate/index.ts';
import { openWarehouse, replayDeadLetters } from '../warehouse/index.ts';
import { openEngines } from './engines.ts';
import { formatTable } from './format.ts';
import { upkeepCommands } from './orchestrate-upkeep.ts';
import { pipelinesOf } from './project.ts';
import { callRunning, readRunInfo, type RunInfo } from './run-file.ts';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const iso = (t: number | null): string => (t === null ? '' : new Date(t).toISOString().replace('.000Z', 'Z'));

function scheduleText(p: Pipeline): string {
  return p.schedule.kind === 'cron'
    ? `cron '${p.schedule.cron}' ${p.schedule.timezone}`
    : `every ${p.schedule.everyMs / 1000} s`;
}

/** Through the running `farebox up` when there is one (it holds PGlite), else straight to the ops DB. */
async function withStore<T>(
  config: Config,
  viaApi: (info: RunInfo) => Promise<T>,
  direct: (store: RunStore) => Promise<T>,
): Promise<T> {
  const running = readRunInfo(config.home);
  if (running !== undefined) return viaApi(running);
  const db = await openOpsDb(config.opsDb);
  try {
    return await direct(await createRunStore(db));
  } finally {
    await db.close();
  }
}

async function api<T>(info: RunInfo, route: string, body?: unknown): Promise<T> {
  const { status, json } = await callRunning<T & { error?: { message: string } }>(info, route, body);
  if (status >= 400)
    throw new FareboxError(
      status === 404 ? 'not_found' : 'bad_request',
      json.error?.message ?? `HTTP ${status}`,
    );
  return json;
}

function time(text: string, flag: string): number {
  const t = new Date(text).getTime();
  if (Number.isNaN(t))
    throw new FareboxError('bad_request', `${flag} '${text}' is not a date or time`, {
      hint: 'e.g. 2026-11-01 or 2026-11-01T06:00:00Z',
    });
  return t;
}

type RunWithJobs = PipelineRun & { jobs: JobRun[] };

function actionText(a: JobAction): string {
  switch (a.kind) {
    case 'transform':
      return `transform ${a.command} ${a.select.join(' ')}`.trim();
    case 'freshness':
      return `freshness ${a.table}.${a.column} ≤ ${a.maxAgeMs / 1000} s`;
    case 'optimize':
      return `optimize ${a.tables.join(', ')}${a.final ? ' FINAL' : ''}`;
    case 'replay':
      return `replay dead letters${a.stage === undefined ? '' : ` of stage ${a.stage}`}${a.eventType === undefined ? '' : ` (${a.eventType})`}`;
    case 'ttl':
      return `ttl ${a.table} by ${a.column}, keep ${durationArg(a.keepMs)}`;
    case 'sync':
      return `sync ${a.sync}`;
    case 'clean_objects':
      return `clean objects older than ${durationArg(a.minAgeMs)}${a.dryRun ? ' (dry run)' : ''}`;
  }
}

export function orchestrateCommand(configFrom: (cmd: Command) => Config): Command {
  const cmd = new Command('orchestrate')
    .description(
      'the scheduler: pipelines (pipelines/*.yaml), run history, manual runs, backfills, Airflow export',
    )
    .addHelpText(
      'after',
      `
The scheduler itself runs inside \`farebox up\` (and as \`farebox serve scheduler\`). Examples:
  npx farebox orchestrate list                      pipelines, schedules, jobs, next runs
  npx farebox orchestrate runs --pipeline taxi      the last runs and each job's attempts
  npx farebox orchestrate trigger taxi              run the pipeline now
  npx farebox orchestrate backfill taxi --from 2026-11-01 --to 2026-11-02
  npx farebox orchestrate clean-objects --dry-run   objects no row or dead letter references
  npx farebox orchestrate export-airflow airflow/dags   one Airflow 3 DAG per pipeline`,
    );

  cmd
    .command('list')
    .description('pipelines with their schedule, catch-up policy, jobs and next run')
    .action((_o: unknown, c: Command) => {
      const now = Date.now();
      for (const p of pipelinesOf(configFrom(c))) {
        const next = nextFireTime(p.schedule, now);
        out(`${p.name}  (${p.file}) ${p.description}`);
        out(
          `  ${scheduleText(p)} · catch-up ${p.catchUp} · max ${p.maxActiveRuns} active · next ${iso(next)}`,
        );
        for (const j of p.jobs) {
          const what = actionText(j.action);
          const after = j.upstream.length > 0 ? ` after ${j.upstream.join(', ')}` : '';
          out(`  - ${j.name}: ${what}${after} · timeout ${j.timeoutMs / 1000} s · retries ${j.retries}`);
        }
        out();
      }
    });

  cmd
    .command('runs')
    .description("the newest pipeline runs with each job's attempts")
    .option('--pipeline <name>', 'only this pipeline')
    .option('--limit <n>', 'how many runs', '20')
    .option('--json', 'print JSON')
    .action(async (o: { pipeline?: string; limit: string; json?: boolean }, c: Command) => {
      const config = configFrom(c);
      const limit = Number(o.limit);
      const runs = await withStore<RunWithJobs[]>(
        config,
        async (info) =>
          (
            await api<{ runs: RunWithJobs[] }>(
              info,
              `/v1/runs?limit=${limit}${o.pipeline === undefined ? '' : `&pipeline=${encodeURIComponent(o.pipeline)}`}`,
            )
          ).runs,
        async (store) =>
          Promise.all(
            (await store.runs({ ...(o.pipeline === undefined ? {} : { pipeline: o.pipeline }), limit })).map(
              async (r) => ({ ...r, jobs: await store.jobRuns(r.pipeline, r.scheduledFor) }),
            ),
          ),
      );
      if (o.json === true) return out(JSON.stringify(runs, null, 2));
      if (runs.length === 0) return out('no runs yet: the scheduler runs inside `farebox up`');
      out(
        formatTable(
          ['pipeline', 'interval', 'trigger', 'state', 'jobs', 'started', 'ended'],
          runs.map((r) => ({
            pipeline: r.pipeline,
            interval: iso(r.scheduledFor),
            trigger: r.trigger,
            state: r.state,
            jobs: r.jobs.map((j) => `${j.job}#${j.attempt} ${j.state}`).join(', '),
            started: iso(r.startedAt),
            ended: iso(r.endedAt),
          })),
        ),
      );
      for (const r of runs)
        for (const j of r.jobs.filter((x) => x.error !== null))
          out(`${r.pipeline} ${iso(r.scheduledFor)} ${j.job}#${j.attempt}: ${j.error ?? ''}`);
    });

  cmd
    .command('alerts')
    .description('failed jobs and freshness breaches, newest first')
    .option('--limit <n>', 'how many', '20')
    .action(async (o: { limit: string }, c: Command) => {
      const alerts = await withStore(
        configFrom(c),
        async (info) =>
          (
            await api<{ alerts: { at: number; kind: string; message: string }[] }>(
              info,
              `/v1/alerts?limit=${Number(o.limit)}`,
            )
          ).alerts,
        (store) => store.alerts(Number(o.limit)),
      );
      if (alerts.length === 0) return out('no alerts');
      for (const a of alerts) out(`${iso(a.at)}  ${a.kind.padEnd(10)} ${a.message}`);
    });

  cmd
    .command('trigger')
    .description('queue a run of a pipeline for now')
    .argument('<pipeline>', 'pipeline name, see `farebox orchestrate list`')
    .action(async (name: string, _o: unknown, c: Command) => {
      const config = configFrom(c);
      const known = pipelinesOf(config).map((p) => p.name);
      if (!known.includes(name))
        throw new FareboxError('not_found', `no pipeline '${name}'`, {
          hint: `pipelines: ${known.join(', ')}`,
        });
      const at = await withStore(
        config,
        async (info) =>
          (await api<{ scheduledFor: number }>(info, `/v1/pipelines/${encodeURIComponent(name)}/trigger`, {}))
            .scheduledFor,
        async (store) => {
          const t = Date.now();
          await store.enqueue(name, t, 'manual');
          return t;
        },
      );
      out(`queued ${name} for ${iso(at)}; the scheduler takes it on its next tick`);
    });

  cmd
    .command('backfill')
    .description("queue a run for each of a pipeline's intervals in a date range")
    .argument('<pipeline>', 'pipeline name')
    .requiredOption('--from <time>', 'first interval, e.g. 2026-11-01')
    .requiredOption('--to <time>', 'last interval (inclusive), e.g. 2026-11-02T00:00:00Z')
    .action(async (name: string, o: { from: string; to: string }, c: Command) => {
      const config = configFrom(c);
      const pipeline = pipelinesOf(config).find((p) => p.name === name);
      if (pipeline === undefined) throw new FareboxError('not_found', `no pipeline '${name}'`);
      const [from, to] = [time(o.from, '--from'), time(o.to, '--to')];
      if (from > to) throw new FareboxError('bad_request', '--from is after --to');
      const times = await withStore(
        config,
        async (info) =>
          (
            await api<{ queued: number[] }>(info, `/v1/pipelines/${encodeURIComponent(name)}/backfill`, {
              from,
              to,
            })
          ).queued,
        (store) => queueBackfill(store, pipeline, from, to),
      );
      out(
        `queued ${times.length} run${times.length === 1 ? '' : 's'} of ${name}, ${iso(times[0] ?? null)} … ${iso(times[times.length - 1] ?? null)}`,
      );
    });

  cmd
    .command('check-freshness')
    .description('exit 1 when the newest row of a table is older than a limit (what a freshness job runs)')
    .requiredOption('--table <table>', 'e.g. fct_trips')
    .requiredOption('--column <column>', 'a time column, e.g. ingested_at')
    .requiredOption('--max-age <duration>', 'e.g. 600s or 10m')
    .action(async (o: { table: string; column: string; maxAge: string }, c: Command) => {
      const config = configFrom(c);
      const maxAgeMs = parseDuration(o.maxAge);
      if (maxAgeMs === undefined)
        throw new FareboxError('bad_request', `--max-age '${o.maxAge}' is not a duration`, {
          hint: 'e.g. 600s or 10m',
        });
      if (readRunInfo(config.home) !== undefined)
        throw new FareboxError(
          'bad_request',
          'farebox up is running and holds the warehouse; it checks freshness itself (farebox orchestrate alerts)',
        );
      const warehouse = await openWarehouse(config.warehouse);
      try {
        const { newest, ageMs } = await freshnessOf(warehouse, o, Date.now());
        if (newest === undefined || ageMs === undefined)
          throw new FareboxError('stale', `${o.table} has no rows`);
        const line = `${o.table}: newest ${o.column} ${iso(newest)}, ${Math.round(ageMs / 1000)} s old (limit ${maxAgeMs / 1000} s)`;
        if (ageMs > maxAgeMs) throw new FareboxError('stale', line);
        out(`fresh: ${line}`);
      } finally {
        await warehouse.close();
      }
    });

  cmd
    .command('optimize')
    .description('upkeep: merge the parts of warehouse tables (what an optimize job runs)')
    .requiredOption('--table <table...>', 'tables, e.g. raw_trips raw_vehicle_locations')
    .option('--final', 'merge each partition into one part, dropping replaced rows')
    .action(async (o: { table: string[]; final?: boolean }, c: Command) => {
      const config = configFrom(c);
      if (readRunInfo(config.home) !== undefined)
        throw new FareboxError(
          'bad_request',
          'farebox up is running and holds the warehouse; add an optimize job to a pipeline instead',
        );
      const warehouse = await openWarehouse(config.warehouse);
      try {
        for (const t of o.table) {
          const started = Date.now();
          await optimize(warehouse, t, o.final === true);
          out(`optimized ${t}${o.final === true ? ' FINAL' : ''} in ${Date.now() - started} ms`);
        }
      } finally {
        await warehouse.close();
      }
    });

  cmd
    .command('replay-dead-letters')
    .description(
      'after a fix, send dead letters back to their topic for the sink to handle again (each once)',
    )
    .addOption(
      new Option('--stage <stage>', 'only those dead-lettered at this stage').choices([
        'decode',
        'validate',
        'clean',
      ]),
    )
    .addOption(
      new Option('--type <event type>', 'only this event type').choices([
        'trip_completed',
        'vehicle_location',
        'driver_document',
      ]),
    )
    .option('--since <time>', 'only those received at or after this time, e.g. 2026-11-24')
    .option('--again', 'include dead letters that were replays already (they failed twice)')
    .option('--dry-run', 'count what would be replayed, send nothing')
    .action(
      async (
        o: { stage?: string; type?: string; since?: string; again?: boolean; dryRun?: boolean },
        c: Command,
      ) => {
        const config = configFrom(c);
        if (readRunInfo(config.home) !== undefined)
          throw new FareboxError('bad_request', 'farebox up is running and holds the log and the warehouse', {
            hint: 'stop it first, or add a replay_dead_letters job to a pipeline and trigger it (farebox orchestrate trigger)',
          });
        const engines = await openEngines(config, { warehouse: true });
        try {
          const { replayed } = await replayDeadLetters(
            { log: engines.log, warehouse: engines.warehouse as NonNullable<typeof engines.warehouse> },
            {
              ...(o.stage === undefined ? {} : { stage: o.stage }),
              ...(o.type === undefined ? {} : { eventType: o.type }),
              ...(o.since === undefined ? {} : { since: time(o.since, '--since') }),
              again: o.again === true,
              dryRun: o.dryRun === true,
            },
          );
          out(
            o.dryRun === true
              ? `${replayed} dead letter${replayed === 1 ? '' : 's'} would be replayed`
              : `replayed ${replayed} dead letter${replayed === 1 ? '' : 's'}: the sink handles them again (farebox status)`,
          );
        } finally {
          await engines.close();
        }
      },
    );

  for (const upkeep of upkeepCommands(configFrom)) cmd.addCommand(upkeep);

  cmd
    .command('export-airflow')
    .description('write one Airflow 3 DAG file per pipeline, each task calling the farebox CLI')
    .argument('<dir>', "Airflow's dags folder")
    .addOption(new Option('--operator <kind>', 'task kind').choices(['bash', 'kubernetes']).default('bash'))
    .option('--farebox <command>', 'how tasks call farebox', 'npx farebox')
    .option('--cwd <dir>', 'folder bash tasks run in (default: this repository)')
    .option('--image <image>', 'kubernetes: the image holding farebox')
    .option('--namespace <ns>', 'kubernetes: the namespace of the task pods')
    .action(
      (
        dir: string,
        o: {
          operator: 'bash' | 'kubernetes';
          farebox: string;
          cwd?: string;
          image?: string;
          namespace?: string;
        },
        c: Command,
      ) => {
        const config = configFrom(c);
        const cwd = o.cwd ?? path.dirname(config.orchestrate.projectDir);
        const files = exportAirflow(pipelinesOf(config), dir, {
          operator: o.operator,
          farebox: o.farebox,
          projectDir:
            o.operator === 'bash' ? path.relative(cwd, config.orchestrate.projectDir) || '.' : 'transform',
          ...(o.operator === 'bash' ? { cwd } : {}),
          ...(o.image === undefined ? {} : { image: o.image }),
          ...(o.namespace === undefined ? {} : { namespace: o.namespace }),
        });
        for (const f of files) out(`wrote ${f}`);
      },
    );
  return cmd;
}
