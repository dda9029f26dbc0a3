import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOpsDb, type OpsDb } from '../opsdb/index.ts';
import { parsePipeline } from './pipeline.ts';
import { createScheduler, type Executor } from './scheduler.ts';
import { createRunStore, type RunStore } from './store.ts';
import { fakeClock, quietStore } from './testing.ts';
import type { Pipeline } from './types.ts';

let db: OpsDb;
let base: RunStore;
beforeAll(async () => {
  db = await openOpsDb({ kind: 'pglite', dir: 'memory://' });
  base = await createRunStore(db);
}, 60_000);
afterAll(async () => {
  await db.close();
});

const t0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const minute = 60_000;

function pipeline(name: string, extra = '', jobs?: string): Pipeline {
  return parsePipeline(
    `${name}.yaml`,
    `pipeline: ${name}
schedule: { every: 5m }
${extra}
jobs:
${
  jobs ??
  `  - name: build
    transform: { command: run, select: [m] }
    retries: 2
    retry_delay: 1m
    timeout: 10m
  - name: check
    transform: { command: test }
    upstream: [build]`
}`,
    { models: ['m'] },
  );
}

/**
 * A scheduler on a fake clock, and a log of the jobs it ran as `job@minute`. It starts 1 ms before `start`,
 * and the clock is then moved to `start`: a pipeline's first fire time after the scheduler started.
 */
async function setup(p: Pipeline, execute?: Executor, owner = 'a', start = t0) {
  const { store, settle } = quietStore(base);
  const clock = fakeClock(start - 1, settle);
  const ran: string[] = [];
  const scheduler = createScheduler(
    { pipelines: [p], leaseMs: 5 * minute, tickMs: minute },
    {
      store,
      clock,
      owner,
      execute:
        execute ??
        ((job) => {
          ran.push(`${job.name}@${(clock.now() - t0) / minute}`);
          return Promise.resolve();
        }),
    },
  );
  await clock.advance(1);
  return { store, clock, settle, scheduler, ran };
}

const states = async (p: Pipeline) =>
  (await base.runs({ pipeline: p.name })).map(
    (r) => `${(r.scheduledFor - t0) / minute}:${r.trigger}:${r.state}`,
  );

describe('the scheduler', () => {
  it('waits for a new pipeline’s first fire time, then runs each interval as it comes, jobs in upstream order', async () => {
    const fresh = pipeline('fresh');
    const late = await setup(fresh, undefined, 'a', t0 + 2 * minute); // started mid-interval: nothing yet
    await late.scheduler.tick();
    await late.settle();
    expect(late.ran).toEqual([]);
    await late.clock.advance(3 * minute);
    await late.scheduler.tick();
    await late.settle();
    expect(late.ran).toEqual(['build@5', 'check@5']);

    const p = pipeline('every5');
    const { clock, settle, scheduler, ran } = await setup(p);
    await scheduler.tick();
    await settle();
    expect(ran).toEqual(['build@0', 'check@0']);
    for (let i = 0; i < 10; i++) {
      await clock.advance(minute);
      await scheduler.tick();
      await settle();
    }
    expect(ran).toEqual(['build@0', 'check@0', 'build@5', 'check@5', 'build@10', 'check@10']);
    expect(await states(p)).toEqual(['10:schedule:success', '5:schedule:success', '0:schedule:success']);
  });

  it('catches up missed intervals by policy: all of them, the latest, or none', async () => {
    const got: Record<string, string[]> = {};
    for (const policy of ['all', 'latest', 'none'] as const) {
      const p = pipeline(`catch_${policy}`, `catch_up: ${policy}`);
      await base.enqueue(p.name, t0 - 20 * minute, 'schedule');
      await base.claim(p.name, t0 - 20 * minute, 'old', t0 - 20 * minute, minute);
      await base.finish(p.name, t0 - 20 * minute, 'old', 'success', t0 - 19 * minute);
      // The scheduler was down from -20 to now (+2): intervals -15, -10, -5 and 0 were missed.
      const { settle, scheduler } = await setup(p, undefined, 'a', t0 + 2 * minute);
      for (let i = 0; i < 5; i++) {
        await scheduler.tick(); // one run at a time (max_active_runs 1), oldest first
        await settle();
      }
      got[policy] = (await states(p)).filter((s) => !s.startsWith('-20'));
    }
    expect(got.all).toEqual([
      '0:schedule:success',
      '-5:schedule:success',
      '-10:schedule:success',
      '-15:schedule:success',
    ]);
    expect(got.latest).toEqual(['0:schedule:success']);
    expect(got.none).toEqual([]);
  });

  it('retries a failing job with exponential backoff, then records it failed, skips its downstream and alerts', async () => {
    const p = pipeline('flaky');
    const tries: number[] = [];
    const { clock, settle, scheduler } = await setup(p, (job) => {
      if (job.name === 'build') tries.push((clock.now() - t0) / minute);
      return job.name === 'build' ? Promise.reject(new Error('ClickHouse said no')) : Promise.resolve();
    });
    await scheduler.tick();
    await clock.advance(10 * minute);
    await settle();
    // First try at 0, retry 1 after 1 min, retry 2 after 2 more.
    expect(tries).toEqual([0, 1, 3]);
    const jobs = await base.jobRuns(p.name, t0);
    expect(jobs.map((j) => `${j.job}#${j.attempt}:${j.state}`)).toEqual([
      'build#1:failed',
      'build#2:failed',
      'build#3:failed',
      'check#1:upstream_failed',
    ]);
    expect(jobs[0]?.error).toContain('ClickHouse said no');
    expect((await states(p))[0]).toBe('0:schedule:failed');
    const [alert] = await base.alerts(1);
    expect(alert).toMatchObject({ pipeline: 'flaky', job: 'build', kind: 'job_failed' });
    expect(alert?.message).toContain('failed after 3 attempts');
  });

  it('stops a job at its timeout and aborts its signal', async () => {
    const p = pipeline('slow', '', `  - name: hang\n    transform: { command: run }\n    timeout: 2m`);
    let aborted = '';
    const { clock, settle, scheduler } = await setup(
      p,
      (_job, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => {
            aborted = String(ctx.signal.reason);
            reject(ctx.signal.reason as Error);
          }),
        ),
    );
    await scheduler.tick();
    await clock.advance(3 * minute);
    await settle();
    expect(aborted).toContain('timed out after 120 s');
    const [job] = await base.jobRuns(p.name, t0);
    expect(job).toMatchObject({ state: 'failed' });
    expect(job?.error).toContain("job 'hang' timed out after 120 s");
  });

  it('never overlaps a run with the previous one (max_active_runs 1)', async () => {
    const p = pipeline('long', '', `  - name: work\n    transform: { command: run }\n    timeout: 1h`);
    const started: number[] = [];
    const finishers: (() => void)[] = [];
    const { clock, settle, scheduler } = await setup(p, () => {
      started.push((clock.now() - t0) / minute);
      return new Promise<void>((resolve) => finishers.push(resolve));
    });
    for (let i = 0; i < 12; i++) {
      await scheduler.tick();
      await clock.advance(minute);
    }
    expect(started).toEqual([0]); // intervals 5 and 10 wait, queued
    finishers.shift()?.();
    await settle();
    await scheduler.tick();
    await settle();
    expect(started).toEqual([0, 12]); // the oldest waiting interval, 5, now that 0 is done
    expect(await states(p)).toEqual(['10:schedule:queued', '5:schedule:running', '0:schedule:success']);
  });

  it('lets only one of two schedulers take a run, and resumes a crashed one’s run after its lease', async () => {
    const p = pipeline('shared');
    const a = await setup(p, () => new Promise(() => undefined), 'a'); // a takes the run and then hangs (crashes)
    const b = await setup(p, undefined, 'b');
    await Promise.all([a.scheduler.tick(), b.scheduler.tick()]);
    await a.settle();
    const [run] = await base.runs({ pipeline: p.name });
    expect(run?.owner).toBe('a');
    expect(b.ran).toEqual([]);
    // a stops renewing (it is gone); after the 5-minute lease b resumes the run where it stood.
    expect(await base.claim(p.name, t0, 'b', t0 + minute, 5 * minute)).toBe(false);
    await b.clock.advance(6 * minute);
    await b.scheduler.tick();
    await b.settle();
    // The interrupted attempt counts as a failed one: the retry comes after its backoff (1 min).
    await b.clock.advance(2 * minute);
    expect(b.ran).toContain('build@7');
    const jobs = await base.jobRuns(p.name, t0);
    expect(jobs.map((j) => `${j.job}#${j.attempt}:${j.state}`)).toEqual([
      'build#1:failed',
      'build#2:success',
      'check#1:success',
    ]);
    expect(jobs[0]?.error).toContain('interrupted');
    const resumed = (await base.runs({ pipeline: p.name })).find((r) => r.scheduledFor === t0);
    expect(resumed).toMatchObject({ owner: 'b', state: 'success' });
  });

  it('runs a manual trigger and a backfill over a date range', async () => {
    const p = pipeline('manual');
    const { settle, scheduler } = await setup(p);
    await scheduler.trigger('manual', t0 + 1234);
    const filled = await scheduler.backfill('manual', t0 - 60 * minute, t0 - 50 * minute);
    expect(filled.map((t) => (t - t0) / minute)).toEqual([-60, -55, -50]);
    for (let i = 0; i < 5; i++) {
      await scheduler.tick();
      await settle();
    }
    const runs = await states(p);
    expect(runs).toContain('-60:backfill:success');
    expect(runs).toContain('-50:backfill:success');
    expect(runs.some((r) => r.endsWith(':manual:success'))).toBe(true);
    await expect(scheduler.trigger('nope')).rejects.toThrow(/no pipeline 'nope'/);
  });
});
