/**
 * Runs jobs in this process, on the warehouse it already holds (chDB lets one process open its folder, so
 * inside `farebox up` a child CLI could not): transform jobs through the runner, freshness checks with one
 * query, OPTIMIZE, dead-letter replays, and the upkeep of upkeep.ts (TTL, orphaned objects). The same jobs
 * run in Airflow as the CLI commands jobCommand() spells.
 */
import { FareboxError } from '../errors/index.ts';
import { buildGraph, loadProject, quoteIdent, runCommand } from '../transform/index.ts';
import type { EventLog } from '../log/index.ts';
import type { ObjectStore } from '../objects/index.ts';
import { replayDeadLetters, type Warehouse } from '../warehouse/index.ts';
import type { Executor } from './scheduler.ts';
import { runUpkeep } from './upkeep.ts';

/** `db.table` or `table`, each part quoted. */
const ident = (name: string): string => name.split('.').map(quoteIdent).join('.');

/** How old the newest row of a table is, by a time column. */
export async function freshnessOf(
  warehouse: Warehouse,
  check: { table: string; column: string },
  now: number,
): Promise<{ newest: number | undefined; ageMs: number | undefined }> {
  const result = await warehouse.client.query({
    query: `SELECT toUnixTimestamp64Milli(toDateTime64(max(${ident(check.column)}), 3)) AS newest, count() AS n FROM ${ident(check.table)}`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ newest: string; n: string }>();
  if (row === undefined || Number(row.n) === 0) return { newest: undefined, ageMs: undefined };
  const newest = Number(row.newest);
  return { newest, ageMs: now - newest };
}

/** Upkeep: merges a table's parts; FINAL merges each partition into one part, dropping replaced rows. */
export async function optimize(warehouse: Warehouse, table: string, final: boolean): Promise<void> {
  try {
    await warehouse.client.command({ query: `OPTIMIZE TABLE ${ident(table)}${final ? ' FINAL' : ''}` });
  } catch (e) {
    throw new FareboxError(
      'warehouse',
      `OPTIMIZE TABLE ${table} failed: ${e instanceof Error ? e.message : String(e)}`,
      {
        cause: e,
      },
    );
  }
}

export interface ExecutorOptions {
  projectDir: string;
  /** The database the project builds into (dbt's target schema). */
  targetSchema: string;
  threads: number;
  /** The sink's consumer group (clean_objects jobs wait for it to have loaded every document). */
  sinkGroup?: string;
}

export interface ExecutorDeps {
  warehouse: Warehouse;
  /** Replay and clean_objects jobs need the event log, clean_objects jobs the object store too. */
  log?: EventLog;
  objects?: ObjectStore;
  /** Runs a reverse-ETL sync by name, saying what it did (the composition root binds its engines). */
  sync?: (name: string, log: (line: string) => void) => Promise<void>;
  now?: () => number;
}

export function createExecutor(options: ExecutorOptions, deps: ExecutorDeps): Executor {
  const now = deps.now ?? Date.now;
  // Two pipelines may build the same model (a shared upstream): transform jobs of this process take turns,
  // so that one never drops the staging table the other is filling.
  let turn: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(f: () => Promise<T>): Promise<T> => {
    const next = turn.then(f, f);
    turn = next.catch(() => undefined);
    return next;
  };
  return async (job, ctx) => {
    const action = job.action;
    if (action.kind === 'ttl' || action.kind === 'clean_objects')
      return runUpkeep(action, ctx, {
        ...deps,
        ...(options.sinkGroup === undefined ? {} : { sinkGroup: options.sinkGroup }),
        now: now(),
      });
    if (action.kind === 'sync') {
      if (deps.sync === undefined) throw new FareboxError('internal', 'this scheduler cannot run syncs');
      return deps.sync(action.sync, (line) => ctx.log(line));
    }
    if (action.kind === 'replay') {
      if (deps.log === undefined)
        throw new FareboxError('internal', 'replaying dead letters needs the event log');
      const { replayed } = await replayDeadLetters(
        { log: deps.log, warehouse: deps.warehouse },
        {
          ...(action.stage === undefined ? {} : { stage: action.stage }),
          ...(action.eventType === undefined ? {} : { eventType: action.eventType }),
        },
      );
      ctx.log(`replayed ${replayed} dead letter${replayed === 1 ? '' : 's'}`);
      return;
    }
    if (action.kind === 'optimize') {
      for (const table of action.tables) {
        const started = now();
        await optimize(deps.warehouse, table, action.final);
        ctx.log(`optimized ${table}${action.final ? ' FINAL' : ''} in ${now() - started} ms`);
      }
      return;
    }
    if (action.kind === 'freshness') {
      const { newest, ageMs } = await freshnessOf(deps.warehouse, action, now());
      const limit = `${Math.round(action.maxAgeMs / 1000)} s`;
      if (newest === undefined || ageMs === undefined)
        throw new FareboxError('stale', `${action.table} has no rows, so it is not fresh (limit ${limit})`);
      ctx.log(
        `${action.table}: newest ${action.column} ${new Date(newest).toISOString()}, ${Math.round(ageMs / 1000)} s old`,
      );
      if (ageMs > action.maxAgeMs)
        throw new FareboxError(
          'stale',
          `${action.table} is ${Math.round(ageMs / 1000)} s old (newest ${action.column} ${new Date(newest).toISOString()}), over its ${limit} limit`,
          {
            hint: 'see whether the sink is loading (farebox status) and the transform jobs succeed (farebox orchestrate runs)',
          },
        );
      return;
    }
    const project = loadProject(options.projectDir, { targetSchema: options.targetSchema });
    const outcome = await oneAtATime(() =>
      runCommand(
        project,
        buildGraph(project),
        {
          command: action.command,
          select: action.select.length > 0 ? action.select : undefined,
          exclude: action.exclude.length > 0 ? action.exclude : undefined,
          threads: options.threads,
          fullRefresh: false,
        },
        { warehouse: deps.warehouse },
      ),
    );
    for (const r of outcome.results)
      ctx.log(`${r.status.padEnd(7)} ${r.node.name}${r.message == null ? '' : `: ${r.message}`}`);
    const bad = outcome.results.filter((r) => r.status === 'error' || r.status === 'fail');
    if (bad.length > 0)
      throw new FareboxError(
        'warehouse',
        `transform ${action.command}: ${bad.map((r) => `${r.node.name} ${r.status}${r.message == null ? '' : ` (${r.message.split('\n')[0] ?? ''})`}`).join('; ')}`,
      );
  };
}
