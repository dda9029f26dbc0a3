/**
 * Reads pipelines from YAML files (one pipeline per file in `pipelines/`) and checks them once, at load:
 * every field's shape, each upstream job exists, jobs form no cycle, the cron expression and time zone
 * parse, and transform selectors match a model of the project. Errors name the file, job and field.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import YAML from 'yaml';
import { z } from 'zod';
import { closest, FareboxError } from '../errors/index.ts';
import type { Job, JobAction, Pipeline, Schedule } from './types.ts';

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** '90s', '5m', '1h', '2d' (or a bare number of seconds) in milliseconds. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return text > 0 ? text * 1000 : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (m === null) return undefined;
  const value = Number(m[1]) * (durationUnits[m[2] as string] as number);
  return value > 0 ? value : undefined;
}

const duration = z.union([z.string(), z.number()]).refine((v) => parseDuration(v) !== undefined, {
  message: "a duration such as '30s', '5m', '1h' or '2d'",
});
const names = z.array(z.string().min(1)).default([]);

const jobSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'lower-case letters, digits and _, starting with a letter'),
    transform: z
      .object({
        command: z.enum(['seed', 'run', 'test', 'build']),
        select: names,
        exclude: names,
      })
      .strict()
      .optional(),
    freshness: z
      .object({ table: z.string().min(1), column: z.string().min(1), max_age: duration })
      .strict()
      .optional(),
    optimize: z
      .object({ tables: z.array(z.string().min(1)).min(1), final: z.boolean().default(false) })
      .strict()
      .optional(),
    replay_dead_letters: z
      .object({
        stage: z.enum(['decode', 'validate', 'clean']).optional(),
        event_type: z.enum(['trip_completed', 'vehicle_location', 'driver_document']).optional(),
      })
      .strict()
      .optional(),
    ttl: z
      .object({ table: z.string().min(1), column: z.string().min(1), keep: duration })
      .strict()
      .optional(),
    // `clean_objects:` with nothing under it takes the defaults.
    clean_objects: z
      .preprocess(
        (v) => v ?? {},
        z.object({ min_age: duration.default('24h'), dry_run: z.boolean().default(false) }).strict(),
      )
      .optional(),
    sync: z.string().min(1).optional(),
    upstream: names,
    timeout: duration.default('1h'),
    retries: z.number().int().min(0).max(20).default(0),
    retry_delay: duration.default('30s'),
  })
  .strict()
  .refine(
    (j) =>
      [j.transform, j.freshness, j.optimize, j.replay_dead_letters, j.ttl, j.clean_objects, j.sync].filter(
        (a) => a !== undefined,
      ).length === 1,
    {
      message:
        'a job does one thing: give it one of transform, freshness, optimize, replay_dead_letters, ttl, clean_objects or sync',
    },
  );

const pipelineSchema = z
  .object({
    pipeline: z
      .string()
      .regex(/^[a-z][a-z0-9_]*$/, 'lower-case letters, digits and _, starting with a letter'),
    description: z.string().default(''),
    schedule: z.union([
      z.object({ cron: z.string(), timezone: z.string().default('UTC') }).strict(),
      z.object({ every: duration }).strict(),
    ]),
    catch_up: z.enum(['none', 'latest', 'all']).default('latest'),
    max_active_runs: z.number().int().min(1).default(1),
    jobs: z.array(jobSchema).min(1),
  })
  .strict();

/** What the loader checks selectors and sync jobs against: the project's model names, the syncs' names. */
export interface PipelineContext {
  models: readonly string[];
  syncs?: readonly string[];
}

function invalid(file: string, message: string, hint?: string): FareboxError {
  return new FareboxError('pipeline_invalid', `${file}: ${message}`, {
    where: file,
    ...(hint === undefined ? {} : { hint }),
  });
}

export function parseSchedule(
  file: string,
  raw: { every: string | number } | { cron: string; timezone: string },
): Schedule {
  if ('every' in raw) {
    const everyMs = parseDuration(raw.every);
    if (everyMs === undefined)
      throw invalid(
        file,
        `schedule.every '${raw.every}' is not a duration`,
        "e.g. '30s', '5m', '1h' or '2d'",
      );
    return { kind: 'interval', everyMs };
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: raw.timezone });
  } catch {
    throw invalid(
      file,
      `schedule.timezone '${raw.timezone}' is not a time zone`,
      "use an IANA name, e.g. 'America/New_York'",
    );
  }
  try {
    CronExpressionParser.parse(raw.cron, { tz: raw.timezone, strict: false }).next();
  } catch (e) {
    throw invalid(
      file,
      `schedule.cron '${raw.cron}' is not a cron expression (${e instanceof Error ? e.message : String(e)})`,
      "five fields: minute hour day-of-month month day-of-week, e.g. '*/10 * * * *'",
    );
  }
  return { kind: 'cron', cron: raw.cron, timezone: raw.timezone };
}

/** A dbt selector's model name, when it names one: `+fct_trips+` → fct_trips; `tag:…`, `path:…` → none. */
function selectorModel(selector: string): string | undefined {
  if (selector.includes(':') || selector.includes('*')) return undefined;
  return selector.replace(/^\d*\+/, '').replace(/\+\d*$/, '');
}

function action(file: string, job: z.infer<typeof jobSchema>, context: PipelineContext): JobAction {
  if (job.ttl !== undefined)
    return {
      kind: 'ttl',
      table: job.ttl.table,
      column: job.ttl.column,
      keepMs: parseDuration(job.ttl.keep) as number,
    };
  if (job.sync !== undefined) {
    const syncs = context.syncs ?? [];
    if (!syncs.includes(job.sync)) {
      const near = closest(job.sync, syncs);
      throw invalid(
        file,
        `job '${job.name}': sync '${job.sync}' is no sync of syncs/`,
        near === undefined ? 'see them with farebox sync list' : `did you mean '${near}'?`,
      );
    }
    return { kind: 'sync', sync: job.sync };
  }
  if (job.clean_objects !== undefined)
    return {
      kind: 'clean_objects',
      minAgeMs: parseDuration(job.clean_objects.min_age) as number,
      dryRun: job.clean_objects.dry_run,
    };
  if (job.replay_dead_letters !== undefined)
    return {
      kind: 'replay',
      stage: job.replay_dead_letters.stage,
      eventType: job.replay_dead_letters.event_type,
    };
  if (job.optimize !== undefined)
    return { kind: 'optimize', tables: job.optimize.tables, final: job.optimize.final };
  if (job.freshness !== undefined)
    return {
      kind: 'freshness',
      table: job.freshness.table,
      column: job.freshness.column,
      maxAgeMs: parseDuration(job.freshness.max_age) as number,
    };
  const t = job.transform as NonNullable<typeof job.transform>;
  for (const [field, selectors] of [
    ['select', t.select],
    ['exclude', t.exclude],
  ] as const)
    for (const selector of selectors) {
      const model = selectorModel(selector);
      if (model !== undefined && !context.models.includes(model)) {
        const near = closest(model, context.models);
        throw invalid(
          file,
          `job '${job.name}': transform.${field} '${selector}' names no model of the transform project`,
          near === undefined ? undefined : `did you mean '${near}'?`,
        );
      }
    }
  return { kind: 'transform', command: t.command, select: t.select, exclude: t.exclude };
}

/** Jobs ordered so that each follows its upstream jobs; a cycle is named job by job. */
function ordered(file: string, jobs: Job[]): Job[] {
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const done = new Set<string>();
  const out: Job[] = [];
  const visit = (job: Job, trail: string[]): void => {
    if (done.has(job.name)) return;
    if (trail.includes(job.name))
      throw invalid(
        file,
        `jobs form a cycle: ${[...trail.slice(trail.indexOf(job.name)), job.name].join(' → ')}`,
      );
    for (const up of job.upstream) visit(byName.get(up) as Job, [...trail, job.name]);
    done.add(job.name);
    out.push(job);
  };
  for (const job of jobs) visit(job, []);
  return out;
}

export function parsePipeline(file: string, text: string, context: PipelineContext): Pipeline {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (e) {
    throw invalid(file, `not valid YAML (${e instanceof Error ? e.message : String(e)})`);
  }
  const parsed = pipelineSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = (issue?.path ?? []).map(String).join('.');
    const jobIndex = issue?.path[0] === 'jobs' ? Number(issue.path[1]) : undefined;
    const jobName =
      jobIndex === undefined ? undefined : (raw as { jobs?: { name?: unknown }[] }).jobs?.[jobIndex]?.name;
    throw invalid(
      file,
      `${typeof jobName === 'string' ? `job '${jobName}': ` : ''}${at === '' ? '' : `${at}: `}${issue?.message ?? 'invalid'}`,
    );
  }
  const p = parsed.data;
  const seen = new Set<string>();
  for (const j of p.jobs) {
    if (seen.has(j.name)) throw invalid(file, `job '${j.name}' is defined twice`);
    seen.add(j.name);
  }
  const jobs: Job[] = p.jobs.map((j) => {
    for (const up of j.upstream)
      if (!seen.has(up)) {
        const near = closest(up, [...seen]);
        throw invalid(
          file,
          `job '${j.name}': upstream '${up}' is no job of pipeline '${p.pipeline}'`,
          near === undefined ? undefined : `did you mean '${near}'?`,
        );
      }
    return {
      name: j.name,
      action: action(file, j, context),
      upstream: j.upstream,
      timeoutMs: parseDuration(j.timeout) as number,
      retries: j.retries,
      retryDelayMs: parseDuration(j.retry_delay) as number,
    };
  });
  return {
    name: p.pipeline,
    description: p.description,
    file,
    schedule: parseSchedule(file, p.schedule),
    catchUp: p.catch_up,
    maxActiveRuns: p.max_active_runs,
    jobs: ordered(file, jobs),
  };
}

/** Every `*.yaml` / `*.yml` in `dir`, sorted by name; two files naming the same pipeline are refused. */
export function loadPipelines(dir: string, context: PipelineContext): Pipeline[] {
  if (!fs.existsSync(dir))
    throw new FareboxError('pipeline_invalid', `no pipelines folder at ${dir}`, {
      hint: 'create pipelines/<name>.yaml, or pass --pipelines-dir',
    });
  const files = fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const pipelines = files.map((f) =>
    parsePipeline(path.join(path.basename(dir), f), fs.readFileSync(path.join(dir, f), 'utf8'), context),
  );
  const names = new Set<string>();
  for (const p of pipelines) {
    if (names.has(p.name)) throw invalid(p.file, `pipeline '${p.name}' is defined in another file too`);
    names.add(p.name);
  }
  return pipelines;
}

/**
 * A sync with a schedule of its own runs as a pipeline of one job, named `sync_<name>`: catch-up latest,
 * never two runs at once, retried twice.
 */
export function syncPipeline(sync: {
  name: string;
  description: string;
  file: string;
  schedule: { every: string | number } | { cron: string; timezone: string };
}): Pipeline {
  return {
    name: `sync_${sync.name}`,
    description: sync.description === '' ? `reverse-ETL sync ${sync.name}` : sync.description,
    file: sync.file,
    schedule: parseSchedule(sync.file, sync.schedule),
    catchUp: 'latest',
    maxActiveRuns: 1,
    jobs: [
      {
        name: 'sync',
        action: { kind: 'sync', sync: sync.name },
        upstream: [],
        timeoutMs: 3_600_000,
        retries: 2,
        retryDelayMs: 60_000,
      },
    ],
  };
}
