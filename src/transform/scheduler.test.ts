import { describe, expect, it } from 'vitest';
import { runTasks, type Task } from './scheduler.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Tasks that record when they run and how many run at once. */
function harness(spec: Record<string, { deps?: string[]; ok?: boolean; ms?: number }>) {
  const order: string[] = [];
  let running = 0;
  let peak = 0;
  const tasks: Task[] = Object.entries(spec).map(([id, s]) => ({
    id,
    deps: s.deps ?? [],
    run: async () => {
      running++;
      peak = Math.max(peak, running);
      order.push(id);
      await sleep(s.ms ?? 20);
      running--;
      return s.ok ?? true;
    },
  }));
  return { tasks, order, peak: () => peak };
}

describe('runTasks', () => {
  it('runs independent tasks in parallel, up to the thread count', async () => {
    const h = harness({ a: {}, b: {}, c: {}, d: {}, e: {} });
    await runTasks(h.tasks, 3, () => undefined);
    expect(h.peak()).toBe(3);
    expect(h.order.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('starts a task only after its dependencies', async () => {
    const h = harness({ c: { deps: ['b'] }, b: { deps: ['a'] }, a: {}, x: {} });
    await runTasks(h.tasks, 4, () => undefined);
    expect(h.order.indexOf('a')).toBeLessThan(h.order.indexOf('b'));
    expect(h.order.indexOf('b')).toBeLessThan(h.order.indexOf('c'));
  });

  it('skips everything downstream of a failure and runs the rest', async () => {
    const h = harness({
      a: { ok: false },
      b: { deps: ['a'] },
      c: { deps: ['b'] },
      d: {},
      e: { deps: ['d'] },
    });
    const skipped: [string, string][] = [];
    await runTasks(h.tasks, 2, (id, because) => skipped.push([id, because]));
    expect(h.order.sort()).toEqual(['a', 'd', 'e']);
    expect(skipped).toEqual([
      ['b', 'a'],
      ['c', 'a'],
    ]);
  });
});
