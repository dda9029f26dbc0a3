/**
 * Run history and leases in the operational database. A pipeline run is one row per (pipeline,
 * scheduled_for); a scheduler owns it while its lease lasts, and claims it with one conditional UPDATE,
 * which PostgreSQL serializes: two schedulers never both get the same run. A run whose owner stopped
 * renewing its lease (it crashed) can be claimed again and resumes: jobs that succeeded are not run
 * again. Times come from the scheduler's clock, not the database's, so that tests can drive them.
 */
import type { OpsDb } from '../opsdb/index.ts';

export type RunState = 'queued' | 'running' | 'success' | 'failed';
export type JobState = 'running' | 'success' | 'failed' | 'upstream_failed';
export type Trigger = 'schedule' | 'manual' | 'backfill';

export interface PipelineRun {
  pipeline: string;
  scheduledFor: number;
  trigger: Trigger;
  state: RunState;
  owner: string | null;
  startedAt: number | null;
  endedAt: number | null;
}

export interface JobRun {
  job: string;
  attempt: number;
  state: JobState;
  startedAt: number;
  endedAt: number | null;
  error: string | null;
  log: string;
}

export interface Alert {
  at: number;
  pipeline: string;
  job: string | null;
  kind: 'job_failed' | 'freshness';
  message: string;
}

const schema = `
CREATE TABLE IF NOT EXISTS farebox_pipeline_runs (
  pipeline text NOT NULL,
  scheduled_for timestamptz NOT NULL,
  trigger text NOT NULL,
  state text NOT NULL,
  owner text,
  lease_until timestamptz,
  started_at timestamptz,
  ended_at timestamptz,
  PRIMARY KEY (pipeline, scheduled_for)
);
CREATE TABLE IF NOT EXISTS farebox_job_runs (
  pipeline text NOT NULL,
  scheduled_for timestamptz NOT NULL,
  job text NOT NULL,
  attempt integer NOT NULL,
  state text NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  error text,
  log text NOT NULL DEFAULT '',
  PRIMARY KEY (pipeline, scheduled_for, job, attempt)
);
CREATE TABLE IF NOT EXISTS farebox_alerts (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  pipeline text NOT NULL,
  job text,
  kind text NOT NULL,
  message text NOT NULL
);`;

const iso = (ms: number): string => new Date(ms).toISOString();
const ms = (v: unknown): number => (v instanceof Date ? v.getTime() : new Date(String(v)).getTime());
const msOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : ms(v));

type Row = Record<string, unknown>;
const toRun = (r: Row): PipelineRun => ({
  pipeline: String(r.pipeline),
  scheduledFor: ms(r.scheduled_for),
  trigger: r.trigger as Trigger,
  state: r.state as RunState,
  owner: (r.owner as string | null) ?? null,
  startedAt: msOrNull(r.started_at),
  endedAt: msOrNull(r.ended_at),
});

export interface RunStore {
  /** Adds a queued run; false when that (pipeline, scheduled_for) already exists. */
  enqueue(pipeline: string, scheduledFor: number, trigger: Trigger): Promise<boolean>;
  /** Takes a queued run, or a running one whose lease ran out; false when another owner holds it. */
  claim(
    pipeline: string,
    scheduledFor: number,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<boolean>;
  renew(pipeline: string, scheduledFor: number, owner: string, until: number): Promise<void>;
  finish(
    pipeline: string,
    scheduledFor: number,
    owner: string,
    state: 'success' | 'failed',
    now: number,
  ): Promise<void>;
  /** Queued runs and running ones whose lease ran out, oldest first. */
  claimable(now: number): Promise<PipelineRun[]>;
  /** Runs of the pipeline held under a live lease. */
  active(pipeline: string, now: number): Promise<number>;
  /** The newest scheduled_for of the pipeline's scheduled runs. */
  lastScheduled(pipeline: string): Promise<number | undefined>;
  runs(filter?: { pipeline?: string; limit?: number }): Promise<PipelineRun[]>;
  jobRuns(pipeline: string, scheduledFor: number): Promise<JobRun[]>;
  startJob(pipeline: string, scheduledFor: number, job: string, attempt: number, now: number): Promise<void>;
  endJob(
    pipeline: string,
    scheduledFor: number,
    job: string,
    attempt: number,
    end: { state: JobState; now: number; error?: string; log?: string },
  ): Promise<void>;
  alert(a: Alert): Promise<void>;
  alerts(limit?: number): Promise<Alert[]>;
}

export async function createRunStore(db: OpsDb): Promise<RunStore> {
  await db.exec(schema);
  return {
    async enqueue(pipeline, scheduledFor, trigger) {
      const rows = await db.query(
        `INSERT INTO farebox_pipeline_runs (pipeline, scheduled_for, trigger, state) VALUES ($1, $2, $3, 'queued')
         ON CONFLICT (pipeline, scheduled_for) DO NOTHING RETURNING pipeline`,
        [pipeline, iso(scheduledFor), trigger],
      );
      return rows.length === 1;
    },
    async claim(pipeline, scheduledFor, owner, now, leaseMs) {
      const rows = await db.query(
        `UPDATE farebox_pipeline_runs
         SET state = 'running', owner = $3, lease_until = $5, started_at = coalesce(started_at, $4)
         WHERE pipeline = $1 AND scheduled_for = $2
           AND (state = 'queued' OR (state = 'running' AND lease_until < $4))
         RETURNING pipeline`,
        [pipeline, iso(scheduledFor), owner, iso(now), iso(now + leaseMs)],
      );
      return rows.length === 1;
    },
    async renew(pipeline, scheduledFor, owner, until) {
      await db.query(
        `UPDATE farebox_pipeline_runs SET lease_until = $4
         WHERE pipeline = $1 AND scheduled_for = $2 AND owner = $3 AND state = 'running'`,
        [pipeline, iso(scheduledFor), owner, iso(until)],
      );
    },
    async finish(pipeline, scheduledFor, owner, state, now) {
      await db.query(
        `UPDATE farebox_pipeline_runs SET state = $4, ended_at = $5, lease_until = NULL
         WHERE pipeline = $1 AND scheduled_for = $2 AND owner = $3`,
        [pipeline, iso(scheduledFor), owner, state, iso(now)],
      );
    },
    async claimable(now) {
      const rows = await db.query(
        `SELECT * FROM farebox_pipeline_runs
         WHERE state = 'queued' OR (state = 'running' AND lease_until < $1)
         ORDER BY scheduled_for, pipeline`,
        [iso(now)],
      );
      return rows.map(toRun);
    },
    async active(pipeline, now) {
      const rows = await db.query<{ n: string | number }>(
        `SELECT count(*) AS n FROM farebox_pipeline_runs WHERE pipeline = $1 AND state = 'running' AND lease_until >= $2`,
        [pipeline, iso(now)],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async lastScheduled(pipeline) {
      const rows = await db.query<{ last: unknown }>(
        `SELECT max(scheduled_for) AS last FROM farebox_pipeline_runs WHERE pipeline = $1 AND trigger = 'schedule'`,
        [pipeline],
      );
      return msOrNull(rows[0]?.last) ?? undefined;
    },
    async runs(filter = {}) {
      const rows = await db.query(
        `SELECT * FROM farebox_pipeline_runs WHERE ($1::text IS NULL OR pipeline = $1)
         ORDER BY scheduled_for DESC, pipeline LIMIT $2`,
        [filter.pipeline ?? null, filter.limit ?? 100],
      );
      return rows.map(toRun);
    },
    async jobRuns(pipeline, scheduledFor) {
      const rows = await db.query(
        `SELECT * FROM farebox_job_runs WHERE pipeline = $1 AND scheduled_for = $2 ORDER BY started_at, job, attempt`,
        [pipeline, iso(scheduledFor)],
      );
      return rows.map((r) => ({
        job: String(r.job),
        attempt: Number(r.attempt),
        state: r.state as JobState,
        startedAt: ms(r.started_at),
        endedAt: msOrNull(r.ended_at),
        error: (r.error as string | null) ?? null,
        log: typeof r.log === 'string' ? r.log : '',
      }));
    },
    async startJob(pipeline, scheduledFor, job, attempt, now) {
      await db.query(
        `INSERT INTO farebox_job_runs (pipeline, scheduled_for, job, attempt, state, started_at)
         VALUES ($1, $2, $3, $4, 'running', $5)`,
        [pipeline, iso(scheduledFor), job, attempt, iso(now)],
      );
    },
    async endJob(pipeline, scheduledFor, job, attempt, end) {
      await db.query(
        `INSERT INTO farebox_job_runs (pipeline, scheduled_for, job, attempt, state, started_at, ended_at, error, log)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)
         ON CONFLICT (pipeline, scheduled_for, job, attempt)
         DO UPDATE SET state = $5, ended_at = $6, error = $7, log = $8`,
        [
          pipeline,
          iso(scheduledFor),
          job,
          attempt,
          end.state,
          iso(end.now),
          end.error ?? null,
          end.log ?? '',
        ],
      );
    },
    async alert(a) {
      await db.query(
        `INSERT INTO farebox_alerts (at, pipeline, job, kind, message) VALUES ($1, $2, $3, $4, $5)`,
        [iso(a.at), a.pipeline, a.job, a.kind, a.message],
      );
    },
    async alerts(limit = 100) {
      const rows = await db.query(`SELECT * FROM farebox_alerts ORDER BY id DESC LIMIT $1`, [limit]);
      return rows.map((r) => ({
        at: ms(r.at),
        pipeline: String(r.pipeline),
        job: (r.job as string | null) ?? null,
        kind: r.kind as Alert['kind'],
        message: String(r.message),
      }));
    },
  };
}
