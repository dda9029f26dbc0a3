/** Consumer-group offsets, committed durably: `<dir>/groups/<group>.json` (temp file, fsync, rename). */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PartitionOffset } from '../types.ts';

type Offsets = Record<string, Record<string, number>>;

export interface GroupStore {
  committed(group: string, topic: string, partition: number): Promise<number | undefined>;
  commit(group: string, offsets: PartitionOffset[]): Promise<void>;
}

export function createGroupStore(dir: string): GroupStore {
  const root = path.join(dir, 'groups');
  const cache = new Map<string, Offsets>();
  const fileOf = (group: string): string => path.join(root, `${encodeURIComponent(group)}.json`);
  const load = async (group: string): Promise<Offsets> => {
    let offsets = cache.get(group);
    if (offsets === undefined) {
      try {
        offsets = JSON.parse(await fs.readFile(fileOf(group), 'utf8')) as Offsets;
      } catch {
        offsets = {};
      }
      cache.set(group, offsets);
    }
    return offsets;
  };
  let writing = Promise.resolve();

  return {
    async committed(group, topic, partition) {
      return (await load(group))[topic]?.[String(partition)];
    },
    async commit(group, list) {
      const offsets = await load(group);
      for (const o of list) (offsets[o.topic] ??= {})[String(o.partition)] = o.offset;
      const text = JSON.stringify(offsets);
      const write = async (): Promise<void> => {
        await fs.mkdir(root, { recursive: true });
        const tmp = `${fileOf(group)}.tmp`;
        const handle = await fs.open(tmp, 'w');
        try {
          await handle.writeFile(text);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await fs.rename(tmp, fileOf(group));
        const d = await fs.open(root, 'r');
        await d.sync().finally(() => d.close());
      };
      writing = writing.then(write, write);
      await writing;
    },
  };
}
