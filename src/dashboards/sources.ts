/**
 * Charts that read what is not in the warehouse: the sink's consumer lag (from the event log), the
 * scheduler's last job runs (from the ops DB) and the transform project's lineage graph. Each returns the
 * shape a SQL chart does (columns and rows), and the lineage also its edges.
 */
import type { EventLog } from '../log/index.ts';
import type { OpsDb } from '../opsdb/index.ts';
import { buildLineage, loadProject, type LineageNode } from '../transform/index.ts';
import { collectStatus, type QueryResult, type Warehouse } from '../warehouse/index.ts';
import type { chartSources } from './definitions.ts';

export type ChartSource = (typeof chartSources)[number];

export interface SourceDeps {
  warehouse: Warehouse;
  opsDb: OpsDb;
  /** The event log and the sink's consumer group, for the lag; without them the lag chart says so. */
  log?: EventLog;
  group: string;
  /** The transform project, for the lineage. */
  projectDir: string;
  env: Readonly<Record<string, string | undefined>>;
}

export type SourceResult = QueryResult & { edges?: { from: string; to: string }[]; note?: string };

/** What each source shows, for a chart's "show SQL". */
export const sourceDescriptions: Record<ChartSource, string> = {
  consumer_lag:
    "Read from the event log: per event type, the newest offset of each partition minus the sink's committed offset (its consumer group), summed; loaded and dead-lettered counts from load_ledger.",
  job_runs:
    'Read from the ops database: the scheduler’s 30 newest job runs (farebox_job_runs), transform runs and tests among them.',
  lineage:
    'Read from the transform project (dbt format): sources → seeds and models → tests and exposures, as `farebox transform docs` writes to target/lineage.json.',
};

const column = (name: string, type: string) => ({ name, type });

async function consumerLag(deps: SourceDeps): Promise<SourceResult> {
  const columns = [
    column('type', 'String'),
    column('topic', 'String'),
    column('produced', 'UInt64'),
    column('loaded', 'UInt64'),
    column('dead_lettered', 'UInt64'),
    column('lag', 'UInt64'),
  ];
  if (deps.log === undefined)
    return { columns, rows: [], truncated: false, elapsedMs: 0, note: 'no event log in this process' };
  const status = await collectStatus(deps.log, deps.warehouse, deps.group);
  const rows = status.types.map((t) => ({
    type: t.type,
    topic: t.topic,
    produced: t.produced,
    loaded: t.loaded,
    dead_lettered: t.deadLettered,
    lag: t.lag,
  }));
  return { columns, rows, truncated: false, elapsedMs: 0 };
}

async function jobRuns(deps: SourceDeps): Promise<SourceResult> {
  const columns = [
    column('pipeline', 'String'),
    column('job', 'String'),
    column('state', 'String'),
    column('started_at', 'DateTime'),
    column('seconds', 'Float64'),
    column('attempt', 'UInt32'),
    column('error', 'String'),
  ];
  const [exists] = await deps.opsDb.query<{ t: string | null }>(
    "SELECT to_regclass('farebox_job_runs')::text AS t",
  );
  if (exists?.t === null || exists?.t === undefined)
    return { columns, rows: [], truncated: false, elapsedMs: 0, note: 'the scheduler has not run yet' };
  const rows = await deps.opsDb.query<Record<string, unknown>>(
    `SELECT pipeline, job, state, started_at,
            round(EXTRACT(EPOCH FROM (coalesce(ended_at, now()) - started_at))::numeric, 1)::float8 AS seconds,
            attempt, coalesce(error, '') AS error
       FROM farebox_job_runs ORDER BY started_at DESC LIMIT 30`,
  );
  return {
    columns,
    rows: rows.map((r) => ({
      ...r,
      started_at: r.started_at instanceof Date ? r.started_at.toISOString() : r.started_at,
    })),
    truncated: false,
    elapsedMs: 0,
  };
}

function lineage(deps: SourceDeps): SourceResult {
  const project = loadProject(deps.projectDir, { targetSchema: deps.warehouse.database, env: deps.env });
  const graph = buildLineage(project);
  const keys: (keyof LineageNode)[] = ['id', 'type', 'name', 'materialization', 'kind', 'path', 'relation'];
  return {
    columns: keys.map((k) => column(k, 'String')),
    rows: graph.nodes.map((n) => Object.fromEntries(keys.map((k) => [k, n[k]]))),
    edges: graph.edges,
    truncated: false,
    elapsedMs: 0,
  };
}

export async function readSource(source: ChartSource, deps: SourceDeps): Promise<SourceResult> {
  const started = Date.now();
  const result =
    source === 'consumer_lag'
      ? await consumerLag(deps)
      : source === 'job_runs'
        ? await jobRuns(deps)
        : lineage(deps);
  return { ...result, elapsedMs: Date.now() - started };
}
