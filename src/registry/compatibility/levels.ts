import type { CompatibilityLevel } from '../types.ts';

/** What a compatibility level asks: which earlier versions to check, and in which directions. */
export interface LevelScope<T> {
  /** All earlier versions (transitive levels) or only the latest. */
  against: T[];
  /** New readers must read old data. */
  backward: boolean;
  /** Old readers must read new data. */
  forward: boolean;
}

/** The scope of a check, or undefined when there is nothing to check (NONE, or no earlier version). */
export function scopeOf<T>(level: CompatibilityLevel, earlier: T[]): LevelScope<T> | undefined {
  if (level === 'NONE' || earlier.length === 0) return undefined;
  return {
    against: level.endsWith('_TRANSITIVE') ? earlier : earlier.slice(-1),
    backward: level.startsWith('BACKWARD') || level.startsWith('FULL'),
    forward: level.startsWith('FORWARD') || level.startsWith('FULL'),
  };
}
