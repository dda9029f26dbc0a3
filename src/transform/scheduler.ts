/**
 * Runs a DAG of tasks on up to `threads` at once. A task that fails skips everything downstream of it;
 * independent branches go on.
 */

export interface Task {
  id: string;
  /** Ids of tasks that must finish first (ids outside the task set are ignored). */
  deps: readonly string[];
  /** Resolves true when downstream tasks may run, false to skip them. */
  run(): Promise<boolean>;
}

export async function runTasks(
  tasks: readonly Task[],
  threads: number,
  onSkip: (id: string, because: string) => void,
): Promise<void> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const waiting = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const t of tasks) {
    const deps = [...new Set(t.deps)].filter((d) => byId.has(d) && d !== t.id);
    waiting.set(t.id, deps.length);
    for (const d of deps) children.set(d, [...(children.get(d) ?? []), t.id]);
  }
  const ready = tasks.filter((t) => waiting.get(t.id) === 0).map((t) => t.id);
  const done = new Set<string>();
  let running = 0;

  const skip = (id: string, because: string): void => {
    for (const c of children.get(id) ?? []) {
      if (done.has(c)) continue;
      done.add(c);
      onSkip(c, because);
      skip(c, because);
    }
  };

  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (running < Math.max(1, threads) && ready.length > 0) {
        const id = ready.shift() as string;
        if (done.has(id)) continue;
        const task = byId.get(id) as Task;
        running++;
        task.run().then(
          (ok) => {
            running--;
            done.add(id);
            if (!ok) skip(id, id);
            else
              for (const c of children.get(id) ?? []) {
                const left = (waiting.get(c) ?? 1) - 1;
                waiting.set(c, left);
                if (left === 0 && !done.has(c)) ready.push(c);
              }
            pump();
          },
          (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))),
        );
      }
      if (running === 0 && ready.length === 0) resolve();
    };
    pump();
  });
}
