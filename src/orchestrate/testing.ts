/** Test doubles for the scheduler: a clock moved by hand, and a store that says when it is quiet. */
import type { Clock } from './scheduler.ts';
import type { RunStore } from './store.ts';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

export interface FakeClock extends Clock {
  /** Moves time forward, waking sleepers in order and letting what they start settle in between. */
  advance(ms: number): Promise<void>;
}

/** A store wrapper counting calls under way, so that tests can wait until the scheduler is quiet. */
export function quietStore(store: RunStore): { store: RunStore; settle: () => Promise<void> } {
  let pending = 0;
  const wrapped = Object.fromEntries(
    Object.entries(store).map(([name, f]) => [
      name,
      async (...args: unknown[]) => {
        pending++;
        try {
          return await (f as (...a: unknown[]) => Promise<unknown>)(...args);
        } finally {
          pending--;
        }
      },
    ]),
  ) as unknown as RunStore;
  const settle = async (): Promise<void> => {
    for (let quiet = 0; quiet < 5;) {
      await turn();
      quiet = pending === 0 ? quiet + 1 : 0;
    }
  };
  return { store: wrapped, settle };
}

export function fakeClock(start: number, settle: () => Promise<void>): FakeClock {
  let now = start;
  let sleepers: { at: number; wake: () => void }[] = [];
  return {
    now: () => now,
    sleep(ms, signal) {
      return new Promise((resolve) => {
        const sleeper = { at: now + ms, wake: resolve };
        sleepers.push(sleeper);
        signal?.addEventListener(
          'abort',
          () => {
            sleepers = sleepers.filter((s) => s !== sleeper);
            resolve();
          },
          { once: true },
        );
      });
    },
    async advance(ms) {
      const target = now + ms;
      await settle();
      for (;;) {
        const next = sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
        if (next === undefined) break;
        now = Math.max(now, next.at);
        const due = sleepers.filter((s) => s.at <= now);
        sleepers = sleepers.filter((s) => s.at > now);
        for (const s of due) s.wake();
        await settle();
      }
      now = target;
      await settle();
    },
  };
}
