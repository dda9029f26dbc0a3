/** A dashboard's filters as the URL holds them: a time range (relative or custom, UTC), a borough. */
import type { Filters } from './api.ts';

export const ranges: Record<string, { label: string; ms?: number }> = {
  '1h': { label: 'Last hour', ms: 3_600_000 },
  '24h': { label: 'Last 24 hours', ms: 86_400_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000 },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000 },
  all: { label: 'All time' },
  custom: { label: 'Custom…' },
};
export const refreshes: Record<string, string> = { off: 'Off', '10': '10 s', '30': '30 s', '60': '1 min' };

/**
 * The filters a route's parameters stand for at time `now`: a relative range ends a minute after now (so
 * that what arrives while the page is open is in it) and moves with each refresh.
 */
export function filtersOf(params: URLSearchParams, now: number): Filters {
  const range = params.get('range') ?? 'all';
  const borough = params.get('borough') ?? '';
  if (range === 'custom') return { from: params.get('from') ?? '', to: params.get('to') ?? '', borough };
  const ms = ranges[range]?.ms;
  return ms === undefined
    ? { from: '', to: '', borough }
    : { from: new Date(now - ms).toISOString(), to: new Date(now + 60_000).toISOString(), borough };
}
