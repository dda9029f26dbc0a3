/** Lets poll() sleep until something it waits for happens (records fetched, a new assignment) or time runs out. */
export function createWakeup() {
  let waiters: (() => void)[] = [];
  return {
    wake(): void {
      const woken = waiters;
      waiters = [];
      for (const w of woken) w();
    },
    wait(ms: number): Promise<void> {
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          waiters = waiters.filter((w) => w !== done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        waiters.push(done);
      });
    },
  };
}
