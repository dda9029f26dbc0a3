/**
 * The scheduler: each tick it records the intervals that came due (per the pipeline's schedule and
 * catch-up policy), then claims runs from the store (scheduled, triggered by hand, backfilled, or left
 * behind by a scheduler that crashed) as far as each pipeline's max_active_runs allows, and runs them.
 * A run executes its jobs in upstream order; a job is tried 1 + retries times with exponential backoff and
 * stopped at its timeout; a job whose upstream failed is not run. Every attempt is recorded, and a job
 * that fails for good raises an alert. The lease is renewed while a run lasts.
 */
import { randomUUID } from 'node:crypto';
import { FareboxError } from '../errors/index.ts';
import { dueTimes, fireTimes } from './schedule.ts';
import type { Alert, JobRun, RunStore } from './store.ts';
import type { Job, Pipeline } from './types.ts';

export interface Clock {
  now(): number;
  /** Resolves after ms, or early when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    }),
};

export interface JobContext {
  pipeline: Pipeline;
  scheduledFor: number;
  attempt: number;
  /** Aborted at the job's timeout or when the scheduler stops. */
  signal: AbortSignal;
  log(line: string): void;
}

export type Executor = (job: Job, ctx: JobContext) => Promise<void>;

export interface SchedulerConfig {
  pipelines: Pipeline[];
  /** How long a claimed run stays ours without renewal. */
  leaseMs: number;
  /** Time between ticks. */
  tickMs: number;
}

export interface SchedulerDeps {
  store: RunStore;
  execute: Executor;
  clock?: Clock;
  /** Identifies this scheduler in leases; random by default. */
  owner?: string;
  onAlert?: (alert: Alert) => void | Promise<void>;
  onEvent?: (line: string) => void;
}

export interface Scheduler {
  /** Records due intervals and starts what may start. */
  tick(): Promise<void>;
  /** Ticks until the signal aborts, then waits for the runs under way to end. */
  run(signal: AbortSignal): Promise<void>;
  /** Queues a run by hand, for now or a given time. */
  trigger(pipeline: string, at?: number): Promise<number>;
  /** Queues a run for every interval in [from, to]. */
  backfill(pipeline: string, from: number, to: number): Promise<number[]>;
  /** Resolves when every run started so far has ended. */
  idle(): Promise<void>;
}

const errorText = (e: unknown): string =>
  e instanceof FareboxError ? e.describe() : e instanceof Error ? e.message : String(e);

/** Most intervals one backfill queues. */
export const maxBackfill = 100_000;

/** Queues a backfill run for every interval of the pipeline in [from, to]; a range of more is refused. */
export async function queueBackfill(
  store: RunStore,
  p: Pipeline,
  from: number,
  to: number,
): Promise<number[]> {
  const times = fireTimes(p.schedule, from - 1, to, maxBackfill + 1);
  if (times.length > maxBackfill)
    throw new FareboxError(
      'bad_request',
      `a backfill of ${p.name} over that range is more than ${maxBackfill} runs`,
      {
        hint: 'backfill a shorter range at a time',
      },
    );
  for (const t of times) await store.enqueue(p.name, t, 'backfill');
  return times;
}

export function createScheduler(config: SchedulerConfig, deps: SchedulerDeps): Scheduler {
  const { store, execute } = deps;
  const clock = deps.clock ?? systemClock;
  const owner = deps.owner ?? `scheduler-${randomUUID().slice(0, 8)}`;
  const startedAt = clock.now();
  const byName = new Map(config.pipelines.map((p) => [p.name, p]));
  const running = new Set<Promise<void>>();
  const stop = new AbortController();
  const event = (line: string): void => deps.onEvent?.(line);

  const pipelineOf = (name: string): Pipeline => {
    const p = byName.get(name);
    if (p === undefined)
      throw new FareboxError('not_found', `no pipeline '${name}'`, {
        hint: `pipelines: ${[...byName.keys()].join(', ')}`,
      });
    return p;
  };

  const raise = async (alert: Alert): Promise<void> => {
    await store.alert(alert);
    await deps.onAlert?.(alert);
  };

  /** One attempt of a job, stopped at its timeout. */
  /** One attempt: undefined when it succeeded, else what went wrong. */
  const attempt = async (
    p: Pipeline,
    scheduledFor: number,
    job: Job,
    n: number,
  ): Promise<string | undefined> => {
    const lines: string[] = [];
    await store.startJob(p.name, scheduledFor, job.name, n, clock.now());
    const controller = new AbortController();
    const onStop = (): void => controller.abort(new Error('the scheduler stopped'));
    stop.signal.addEventListener('abort', onStop, { once: true });
    const timer = new AbortController();
    const timedOut = clock.sleep(job.timeoutMs, timer.signal).then(() => {
      if (timer.signal.aborted) return;
      const error = new FareboxError(
        'internal',
        `job '${job.name}' timed out after ${job.timeoutMs / 1000} s`,
      );
      controller.abort(error);
      throw error;
    });
    try {
      await Promise.race([
        execute(job, {
          pipeline: p,
          scheduledFor,
          attempt: n,
          signal: controller.signal,
          log: (l) => lines.push(l),
        }),
        timedOut,
      ]);
      await store.endJob(p.name, scheduledFor, job.name, n, {
        state: 'success',
        now: clock.now(),
        log: lines.join('\n'),
      });
      return undefined;
    } catch (e) {
      await store.endJob(p.name, scheduledFor, job.name, n, {
        state: 'failed',
        now: clock.now(),
        error: errorText(e),
        log: lines.join('\n'),
      });
      event(`${p.name}/${job.name} attempt ${n} failed: ${errorText(e)}`);
      return errorText(e);
    } finally {
      timer.abort();
      timedOut.catch(() => undefined);
      stop.signal.removeEventListener('abort', onStop);
    }
  };

  /** Runs (or resumes) one claimed pipeline run to its end. */
  const runPipeline = async (p: Pipeline, scheduledFor: number): Promise<void> => {
    const done = new AbortController();
    const renewing = (async () => {
      while (!done.signal.aborted) {
        await clock.sleep(config.leaseMs / 3, done.signal);
        if (!done.signal.aborted)
          await store.renew(p.name, scheduledFor, owner, clock.now() + config.leaseMs);
      }
    })();
    try {
      const history: JobRun[] = await store.jobRuns(p.name, scheduledFor);
      const state = new Map<string, 'success' | 'failed'>();
      for (const job of p.jobs) {
        const before = history.filter((h) => h.job === job.name);
        if (before.some((h) => h.state === 'success')) {
          state.set(job.name, 'success');
          continue;
        }
        // An attempt left 'running' by a scheduler that crashed is recorded as failed, and counts.
        for (const h of before.filter((x) => x.state === 'running'))
          await store.endJob(p.name, scheduledFor, job.name, h.attempt, {
            state: 'failed',
            now: clock.now(),
            error: 'interrupted: the scheduler running it stopped',
            log: h.log,
          });
        if (job.upstream.some((u) => state.get(u) !== 'success')) {
          await store.endJob(p.name, scheduledFor, job.name, before.length + 1, {
            state: 'upstream_failed',
            now: clock.now(),
            error: `upstream failed: ${job.upstream.filter((u) => state.get(u) !== 'success').join(', ')}`,
          });
          state.set(job.name, 'failed');
          continue;
        }
        let ok = false;
        let failure = before[before.length - 1]?.error ?? 'interrupted: the scheduler running it stopped';
        let n = before.length;
        while (!ok && n < job.retries + 1 && !stop.signal.aborted) {
          // Before retry k (the attempt after k failed ones): retry_delay × 2^(k − 1).
          if (n > 0) await clock.sleep(job.retryDelayMs * 2 ** (n - 1), stop.signal);
          n++;
          const error = await attempt(p, scheduledFor, job, n);
          ok = error === undefined;
          failure = error ?? '';
        }
        state.set(job.name, ok ? 'success' : 'failed');
        if (!ok && !stop.signal.aborted)
          await raise({
            at: clock.now(),
            pipeline: p.name,
            job: job.name,
            kind: job.action.kind === 'freshness' ? 'freshness' : 'job_failed',
            message: `${p.name}/${job.name} failed after ${n} attempt${n === 1 ? '' : 's'} (run for ${new Date(scheduledFor).toISOString()}): ${failure}`,
          });
      }
      if (stop.signal.aborted) return; // left running: the lease runs out and a scheduler resumes it
      const failed = [...state.values()].includes('failed');
      await store.finish(p.name, scheduledFor, owner, failed ? 'failed' : 'success', clock.now());
      event(`${p.name} run for ${new Date(scheduledFor).toISOString()}: ${failed ? 'failed' : 'success'}`);
    } finally {
      done.abort();
      await renewing;
    }
  };

  const start = (p: Pipeline, scheduledFor: number): void => {
    const run = runPipeline(p, scheduledFor).catch((e: unknown) => {
      event(`${p.name} run for ${new Date(scheduledFor).toISOString()} stopped: ${errorText(e)}`);
    });
    running.add(run);
    void run.finally(() => running.delete(run));
  };

  const scheduler: Scheduler = {
    async tick() {
      const now = clock.now();
      for (const p of config.pipelines) {
        const last = await store.lastScheduled(p.name);
        for (const t of dueTimes(p.schedule, p.catchUp, last, startedAt, now))
          await store.enqueue(p.name, t, 'schedule');
      }
      for (const r of await store.claimable(now)) {
        const p = byName.get(r.pipeline);
        if (p === undefined) continue; // a pipeline this scheduler does not know (removed, or another project's)
        if ((await store.active(p.name, now)) >= p.maxActiveRuns) continue;
        if (await store.claim(p.name, r.scheduledFor, owner, now, config.leaseMs)) {
          event(
            `${p.name}: ${r.state === 'running' ? 'resuming' : 'starting'} the run for ${new Date(r.scheduledFor).toISOString()}`,
          );
          start(p, r.scheduledFor);
        }
      }
    },
    async run(signal) {
      signal.addEventListener('abort', () => stop.abort(), { once: true });
      while (!signal.aborted) {
        await scheduler.tick();
        await clock.sleep(config.tickMs, signal);
      }
      await scheduler.idle();
    },
    async trigger(pipeline, at) {
      pipelineOf(pipeline);
      const t = at ?? clock.now();
      if (!(await store.enqueue(pipeline, t, 'manual')))
        throw new FareboxError(
          'bad_request',
          `pipeline '${pipeline}' already has a run for ${new Date(t).toISOString()}`,
        );
      return t;
    },
    backfill: (pipeline, from, to) => queueBackfill(store, pipelineOf(pipeline), from, to),
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
  return scheduler;
}
