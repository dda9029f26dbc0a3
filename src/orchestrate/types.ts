/**
 * Pipelines as farebox runs them and as they are exported to Airflow. A pipeline is what Airflow calls a
 * DAG: one schedule, a catch-up policy and a limit on concurrent runs, over jobs (tasks) with upstream
 * jobs, a timeout and retries. Every job is a farebox CLI command, so the in-process scheduler and an
 * Airflow task run exactly the same thing.
 */

/** When a pipeline runs: a cron expression in a time zone, or a fixed interval. */
export type Schedule =
  { kind: 'cron'; cron: string; timezone: string } | { kind: 'interval'; everyMs: number };

/**
 * Missed intervals (the scheduler was down): `none` skips them, `latest` runs the most recent one, `all`
 * runs every one of them, oldest first (Airflow's catchup=True).
 */
export type CatchUp = 'none' | 'latest' | 'all';

/** What a job does. */
export type JobAction =
  | { kind: 'transform'; command: 'seed' | 'run' | 'test' | 'build'; select: string[]; exclude: string[] }
  | { kind: 'freshness'; table: string; column: string; maxAgeMs: number }
  /** Upkeep: merge the tables' parts (FINAL: down to one part per partition, dropping replaced rows). */
  | { kind: 'optimize'; tables: string[]; final: boolean }
  /** Upkeep: send dead letters back to their topic after a fix (each once; see warehouse/replay.ts). */
  | { kind: 'replay'; stage: string | undefined; eventType: string | undefined }
  /** Upkeep: a table keeps rows for `keepMs` by `column` (a ClickHouse TTL), older ones are deleted now. */
  | { kind: 'ttl'; table: string; column: string; keepMs: number }
  /**
   * Upkeep: delete objects older than `minAgeMs` that no document row or dead letter references (see
   * upkeep.ts for what counts as referenced); `dryRun` lists them instead.
   */
  | { kind: 'clean_objects'; minAgeMs: number; dryRun: boolean }
  /** A reverse-ETL sync (syncs/<name>.yaml): what changed in its source goes to its destination. */
  | { kind: 'sync'; sync: string };

export interface Job {
  name: string;
  action: JobAction;
  /** Jobs of the same pipeline that must succeed first. */
  upstream: string[];
  timeoutMs: number;
  /** Tries after the first; each waits retryDelayMs × 2^(attempt − 1). */
  retries: number;
  retryDelayMs: number;
}

export interface Pipeline {
  name: string;
  description: string;
  /** The YAML file it came from, relative to the project. */
  file: string;
  schedule: Schedule;
  catchUp: CatchUp;
  /** Runs of this pipeline at once; 1 means a run never overlaps the previous one. */
  maxActiveRuns: number;
  /** Jobs in an order where each comes after its upstream jobs. */
  jobs: Job[];
}
