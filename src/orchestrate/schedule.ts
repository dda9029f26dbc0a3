/** Fire times of a schedule, and which of them a scheduler runs under each catch-up policy. */
import { CronExpressionParser } from 'cron-parser';
import type { CatchUp, Schedule } from './types.ts';

/** At most this many missed intervals are run by `catch_up: all`; older ones are left to a backfill. */
export const maxCatchUp = 1000;

/** The fire times after `after` (exclusive) up to `until` (inclusive), oldest first, at most `limit`. */
export function fireTimes(
  schedule: Schedule,
  after: number,
  until: number,
  limit = maxCatchUp + 1,
): number[] {
  const out: number[] = [];
  if (schedule.kind === 'interval') {
    // Aligned to the epoch, as Airflow aligns a delta schedule to its start date (midnight UTC).
    for (
      let t = Math.floor(after / schedule.everyMs) * schedule.everyMs + schedule.everyMs;
      t <= until;
      t += schedule.everyMs
    ) {
      out.push(t);
      if (out.length > limit) out.shift();
    }
    return out;
  }
  const it = CronExpressionParser.parse(schedule.cron, {
    tz: schedule.timezone,
    currentDate: new Date(after),
  });
  for (;;) {
    const t = it.next().getTime();
    if (t > until) return out;
    out.push(t);
    if (out.length > limit) out.shift();
  }
}

/** The first fire time after `after`. */
export function nextFireTime(schedule: Schedule, after: number): number {
  if (schedule.kind === 'interval')
    return Math.floor(after / schedule.everyMs) * schedule.everyMs + schedule.everyMs;
  return CronExpressionParser.parse(schedule.cron, { tz: schedule.timezone, currentDate: new Date(after) })
    .next()
    .getTime();
}

/** The newest fire time at or before `now`. */
export function latestFireTime(schedule: Schedule, now: number): number | undefined {
  if (schedule.kind === 'interval') return Math.floor(now / schedule.everyMs) * schedule.everyMs;
  const it = CronExpressionParser.parse(schedule.cron, {
    tz: schedule.timezone,
    currentDate: new Date(now + 1),
  });
  return it.prev().getTime();
}

/**
 * The intervals due now, given the newest one already recorded (`last`) and when this scheduler started.
 * A pipeline with no history waits for its first fire time after the scheduler started (a nightly job
 * does not run because farebox was started in the afternoon; `farebox orchestrate trigger` runs it now).
 * Missed intervals are those between `last` and now: `all` runs each (up to maxCatchUp), `latest` the
 * newest, `none` only one that came due since the scheduler started.
 */
export function dueTimes(
  schedule: Schedule,
  catchUp: CatchUp,
  last: number | undefined,
  startedAt: number,
  now: number,
): number[] {
  const missed = fireTimes(schedule, last ?? startedAt, now);
  if (missed.length === 0) return [];
  if (catchUp === 'all' && last !== undefined) return missed.slice(-maxCatchUp);
  const newest = missed[missed.length - 1] as number;
  if (catchUp === 'none' && newest < startedAt) return [];
  return [newest];
}
