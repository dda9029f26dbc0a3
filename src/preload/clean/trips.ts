/**
 * Cleaning rules for trip_completed, written for the real messiness of TLC data. Each rule either
 * FIXES a value, FLAGS the row (a name in the `flags` column the models can filter on), or DEAD-LETTERS it.
 *
 * | rule                    | when                                              | action                          |
 * |-------------------------|---------------------------------------------------|---------------------------------|
 * | trim                    | any text field has surrounding spaces             | fix: trimmed                    |
 * | store_and_fwd_flag      | 'y', ' N ', 'n' …                                 | fix: 'Y' or 'N'                 |
 * | store_and_fwd_flag      | anything else                                     | fix: null, flag bad_store_and_fwd_flag |
 * | dropoff before pickup   | dropoff_datetime < pickup_datetime                | dead-letter (duration would be negative) |
 * | zero duration           | dropoff_datetime = pickup_datetime                | flag zero_duration              |
 * | long duration           | trip longer than 24 hours                         | flag long_duration              |
 * | negative amount         | fare_amount or total_amount < 0 (refund, void)    | flag negative_amount            |
 * | zero distance           | trip_distance <= 0                                | flag zero_distance              |
 * | missing passenger count | passenger_count null                              | flag missing_passenger_count    |
 * | zero passengers         | passenger_count = 0                               | flag zero_passengers            |
 * | unknown zone            | PU/DO zone outside 1–263 (264/265 are "Unknown"/"Outside of NYC") | flag unknown_zone |
 * | unknown vendor          | vendor_id not 1, 2, 6 or 7                        | flag unknown_vendor             |
 * | unknown rate code       | ratecode_id not 1–6 (99 occurs)                   | flag unknown_ratecode           |
 * | total mismatch          | components differ from total_amount by > $0.01    | flag total_mismatch             |
 */
import type { Cleaned } from '../types.ts';

const dayMs = 86_400_000;
const knownVendors = new Set([1, 2, 6, 7]);
const moneyParts = [
  'fare_amount',
  'extra',
  'mta_tax',
  'tip_amount',
  'tolls_amount',
  'improvement_surcharge',
  'congestion_surcharge',
  'airport_fee',
  'ehail_fee',
  'cbd_congestion_fee',
] as const;

function normaliseFlag(v: unknown, flags: string[]): string | null {
  if (v === null || v === undefined) return null;
  const s = (typeof v === 'string' ? v : typeof v === 'number' ? v.toString() : '').trim().toUpperCase();
  if (s === 'Y' || s === 'N') return s;
  flags.push('bad_store_and_fwd_flag');
  return null;
}

/** Trims text fields in place (the event was just parsed for this record alone). */
export function trimStrings(e: Record<string, unknown>): Record<string, unknown> {
  for (const k in e) {
    const v = e[k];
    if (typeof v === 'string' && (v.charCodeAt(0) <= 32 || v.charCodeAt(v.length - 1) <= 32)) e[k] = v.trim();
  }
  return e;
}

export function cleanTrip(input: Record<string, unknown>): Cleaned {
  const e = trimStrings(input);
  const flags: string[] = [];
  const pickup = Date.parse(e.pickup_datetime as string);
  const dropoff = Date.parse(e.dropoff_datetime as string);
  if (dropoff < pickup)
    return {
      ok: false,
      reason: `dropoff_datetime ${String(e.dropoff_datetime)} is before pickup_datetime ${String(e.pickup_datetime)}`,
    };
  if (dropoff === pickup) flags.push('zero_duration');
  if (dropoff - pickup > dayMs) flags.push('long_duration');
  e.store_and_fwd_flag = normaliseFlag(e.store_and_fwd_flag, flags);
  if ((e.fare_amount as number) < 0 || (e.total_amount as number) < 0) flags.push('negative_amount');
  if ((e.trip_distance as number) <= 0) flags.push('zero_distance');
  if (e.passenger_count === null) flags.push('missing_passenger_count');
  else if (e.passenger_count === 0) flags.push('zero_passengers');
  const pu = e.pu_location_id as number;
  const dO = e.do_location_id as number;
  if (pu < 1 || pu > 263 || dO < 1 || dO > 263) flags.push('unknown_zone');
  if (e.vendor_id !== null && !knownVendors.has(e.vendor_id as number)) flags.push('unknown_vendor');
  const rate = e.ratecode_id as number | null;
  if (rate !== null && (rate < 1 || rate > 6)) flags.push('unknown_ratecode');
  let sum = 0;
  for (const k of moneyParts) sum += (e[k] as number | null | undefined) ?? 0;
  if (Math.abs(sum - (e.total_amount as number)) > 0.011) flags.push('total_mismatch');
  return { ok: true, event: e, flags };
}
