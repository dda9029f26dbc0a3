/**
 * The scheduler as `farebox up` and `farebox serve scheduler` run it: pipelines from FAREBOX_PIPELINES,
 * run history and leases in the operational database, jobs run in this process on its warehouse, alerts
 * kept in the history and POSTed to FAREBOX_ALERT_WEBHOOK when one is set.
 */
import type { Config } from '../config/index.ts';
import type { EventLog } from '../log/index.ts';
import type { ObjectStore } from '../objects/index.ts';
import { openOpsDb, type OpsDb } from '../opsdb/index.ts';
import { pipelinesOf, syncsOf } from './project.ts';
import { runSyncOn, summaryLine, syncNamed } from './syncs.ts';
import {
  createExecutor,
  createRunStore,
  createScheduler,
  type Alert,
  type Executor,
  type Pipeline,
  type RunStore,
  type Scheduler,
} from '../orchestrate/index.ts';
import type { Warehouse } from '../warehouse/index.ts';

export interface Orchestrator {
  pipelines: Pipeline[];
  scheduler: Scheduler;
  store: RunStore;
  /** The operational database the scheduler holds (syncs into it go through this connection). */
  opsDb: OpsDb;
  /** Resolves when the scheduler has stopped (the signal aborted) and its runs ended. */
  done: Promise<void>;
  close(): Promise<void>;
}

async function postAlert(url: string, alert: Alert, say: (line: string) => void): Promise<void> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'farebox', ...alert, at: new Date(alert.at).toISOString() }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) say(`alert webhook answered ${res.status}; the alert stays in the run history`);
  } catch (e) {
    say(
      `alert webhook failed (${e instanceof Error ? e.message : String(e)}); the alert stays in the run history`,
    );
  }
}

/** The executor, reporting each attempt's outcome and time. */
function observed(
  onJobEnd: ((pipeline: string, job: string, outcome: 'success' | 'failed', ms: number) => void) | undefined,
  execute: Executor,
): Executor {
  if (onJobEnd === undefined) return execute;
  return async (job, ctx) => {
    const started = Date.now();
    try {
      await execute(job, ctx);
      onJobEnd(ctx.pipeline.name, job.name, 'success', Date.now() - started);
    } catch (e) {
      onJobEnd(ctx.pipeline.name, job.name, 'failed', Date.now() - started);
      throw e;
    }
  };
}

export async function startOrchestrator(
  config: Config,
  deps: {
    warehouse: Warehouse;
    log: EventLog;
    objects: ObjectStore;
    signal: AbortSignal;
    say: (line: string) => void;
    /** After each job attempt (metrics). */
    onJobEnd?: (pipeline: string, job: string, outcome: 'success' | 'failed', ms: number) => void;
  },
): Promise<Orchestrator> {
  const pipelines = pipelinesOf(config);
  const db = await openOpsDb(config.opsDb);
  const store = await createRunStore(db);
  const webhook = config.orchestrate.alertWebhook;
  const scheduler = createScheduler(
    {
      pipelines,
      leaseMs: Math.max(60_000, 6 * config.orchestrate.tickMs),
      tickMs: config.orchestrate.tickMs,
    },
    {
      store,
      execute: observed(
        deps.onJobEnd,
        createExecutor(
          {
            projectDir: config.orchestrate.projectDir,
            targetSchema: config.warehouse.database,
            threads: 4,
            sinkGroup: config.sink.group,
          },
          {
            warehouse: deps.warehouse,
            log: deps.log,
            objects: deps.objects,
            // Syncs write through the scheduler's own connection: PGlite lets one process open it.
            sync: async (name, log) => {
              const def = syncNamed(syncsOf(config), name);
              log(
                summaryLine(
                  await runSyncOn(def, { warehouse: deps.warehouse, opsDb: db, log: deps.log }, { say: log }),
                ),
              );
            },
          },
        ),
      ),
      onAlert: async (a) => {
        deps.say(`alert: ${a.message}`);
        if (webhook !== undefined) await postAlert(webhook, a, deps.say);
      },
      onEvent: (line) => deps.say(`scheduler: ${line}`),
    },
  );
  const done = scheduler.run(deps.signal);
  return { pipelines, scheduler, store, opsDb: db, done, close: () => db.close() };
}
