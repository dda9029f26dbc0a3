/**
 * Failed sign-ins per user name, kept in the process: after `limit` failures within `windowMs`, that name
 * may not try again (even with the right password) until the oldest failure leaves the window, so guessing
 * a password runs at `limit` tries per window. A success forgets the name's failures. Names are kept at
 * most `maxNames` at a time (the oldest forgotten first), so a flood of made-up names cannot fill memory.
 */
export interface SignInThrottleConfig {
  limit: number;
  windowMs: number;
  maxNames?: number;
}

export interface SignInThrottle {
  /** Whole seconds until `name` may try again; 0 when it may now. */
  retryAfter(name: string): number;
  failed(name: string): void;
  succeeded(name: string): void;
}

export const defaultSignInThrottle: SignInThrottleConfig = { limit: 5, windowMs: 15 * 60_000 };

export function signInThrottle(config: SignInThrottleConfig, now: () => number = Date.now): SignInThrottle {
  const failures = new Map<string, number[]>();
  const maxNames = config.maxNames ?? 10_000;
  const recent = (name: string): number[] => {
    const since = now() - config.windowMs;
    const kept = (failures.get(name) ?? []).filter((t) => t > since);
    if (kept.length === 0) failures.delete(name);
    else failures.set(name, kept);
    return kept;
  };
  return {
    retryAfter(name) {
      const kept = recent(name);
      if (kept.length < config.limit) return 0;
      const oldest = kept[kept.length - config.limit] ?? now();
      return Math.max(1, Math.ceil((oldest + config.windowMs - now()) / 1000));
    },
    failed(name) {
      const kept = recent(name);
      failures.delete(name);
      failures.set(name, [...kept, now()]);
      if (failures.size > maxNames) failures.delete(failures.keys().next().value ?? name);
    },
    succeeded(name) {
      failures.delete(name);
    },
  };
}
