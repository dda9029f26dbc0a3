/** A small seeded PRNG (mulberry32) so the simulator is deterministic per seed. */
export interface Random {
  next(): number;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  /** UUIDv7 layout: 48-bit milliseconds, version 7, variant bits, the rest from the PRNG. */
  uuidv7(ms: number): string;
}

export function createRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const hex = (n: number, digits: number): string => Math.floor(n).toString(16).padStart(digits, '0');
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
    chance: (p) => next() < p,
    uuidv7(ms) {
      const t = hex(ms, 12);
      const r = () => hex(next() * 0x10000, 4);
      return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${r().slice(1)}-${hex(0x8000 + next() * 0x4000, 4)}-${r()}${r()}${r()}`;
    },
  };
}
