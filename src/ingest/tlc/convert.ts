/** Values of a TLC row → trip_completed fields. */
import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { TripCompleted } from '../../contracts/index.ts';
import type { Layout } from './layouts.ts';

export type Cell = string | number | bigint | boolean | Date | null | undefined;

export class RowError extends Error {}

const offsets = new Map<string, string>();

/** A naive New York wall-clock time ('YYYY-MM-DD HH:MM:SS') → RFC 3339 with the right offset (DST-aware). */
export function nyLocalToInstant(local: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(local.trim());
  if (m === null) throw new RowError(`'${local}' is not a time like 2019-01-15 03:36:12`);
  const [, date, hh, mm, ss] = m as unknown as [string, string, string, string, string];
  const hourKey = `${date} ${hh}`;
  let offset = offsets.get(hourKey);
  if (offset === undefined) {
    const dt = DateTime.fromISO(`${date}T${hh}:00:00`, { zone: 'America/New_York' });
    if (!dt.isValid) throw new RowError(`'${local}' is not a valid time`);
    offset = dt.toFormat('ZZ');
    offsets.set(hourKey, offset);
  }
  return `${date}T${hh}:${mm}:${ss}${offset}`;
}

function timeOf(v: Cell, column: string): string {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new RowError(`column ${column}: invalid timestamp`);
    return nyLocalToInstant(v.toISOString().slice(0, 19));
  }
  if (typeof v !== 'string' || v.trim() === '') throw new RowError(`column ${column}: missing time`);
  try {
    return nyLocalToInstant(v);
  } catch (e) {
    throw new RowError(`column ${column}: ${(e as Error).message}`);
  }
}

function numberOf(v: Cell, column: string): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isFinite(n)) throw new RowError(`column ${column}: '${String(v)}' is not a number`);
  return n;
}

function intOf(v: Cell, column: string): number | null {
  const n = numberOf(v, column);
  if (n !== null && !Number.isInteger(n))
    throw new RowError(`column ${column}: '${String(v)}' is not a whole number`);
  return n;
}

function textOf(v: Cell): string | null {
  if (v === null || v === undefined) return null;
  const s = String(v);
  return s === '' ? null : s;
}

/** Deterministic UUIDv7: the drop-off time in the first 48 bits, the rest from a hash of file and row. */
export function deterministicUuidv7(ms: number, seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  const b = Buffer.alloc(16);
  b.writeUIntBE(Math.max(0, ms), 0, 6);
  h.copy(b, 6, 0, 10);
  b[6] = 0x70 | ((b[6] ?? 0) & 0x0f);
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
  const x = b.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** One TLC row (keys lower-cased) → a trip_completed event; throws RowError naming the column. */
export function toTrip(
  row: Record<string, Cell>,
  layout: Layout,
  source: string,
  line: number,
): TripCompleted {
  const green = layout.taxiKind === 'green';
  const pickup = timeOf(
    row[green ? 'lpep_pickup_datetime' : 'tpep_pickup_datetime'],
    green ? 'lpep_pickup_datetime' : 'tpep_pickup_datetime',
  );
  const dropoff = timeOf(
    row[green ? 'lpep_dropoff_datetime' : 'tpep_dropoff_datetime'],
    green ? 'lpep_dropoff_datetime' : 'tpep_dropoff_datetime',
  );
  const num = (c: string) => numberOf(row[c], c) as number;
  const has = (c: string) => layout.required.includes(c) || layout.optional.includes(c);
  const event: TripCompleted = {
    event_id: deterministicUuidv7(Date.parse(dropoff), `${source}:${line}`),
    event_time: dropoff,
    trip_id: `tlc-${layout.taxiKind}-${source}-${line}`,
    vehicle_id: null,
    driver_id: null,
    taxi_kind: layout.taxiKind,
    vendor_id: intOf(row.vendorid, 'VendorID'),
    pickup_datetime: pickup,
    dropoff_datetime: dropoff,
    passenger_count: intOf(row.passenger_count, 'passenger_count'),
    trip_distance: num('trip_distance'),
    ratecode_id: intOf(row.ratecodeid, 'RatecodeID'),
    store_and_fwd_flag: textOf(row.store_and_fwd_flag),
    pu_location_id: intOf(row.pulocationid, 'PULocationID') as number,
    do_location_id: intOf(row.dolocationid, 'DOLocationID') as number,
    payment_type: intOf(row.payment_type, 'payment_type'),
    fare_amount: num('fare_amount'),
    extra: num('extra'),
    mta_tax: num('mta_tax'),
    tip_amount: num('tip_amount'),
    tolls_amount: num('tolls_amount'),
    improvement_surcharge: num('improvement_surcharge'),
    total_amount: num('total_amount'),
    congestion_surcharge: has('congestion_surcharge')
      ? numberOf(row.congestion_surcharge, 'congestion_surcharge')
      : null,
    airport_fee: has('airport_fee') ? numberOf(row.airport_fee, 'Airport_fee') : null,
    trip_type: green ? intOf(row.trip_type, 'trip_type') : null,
    ehail_fee: green ? numberOf(row.ehail_fee, 'ehail_fee') : null,
  };
  if (layout.contractVersion === 2)
    event.cbd_congestion_fee = numberOf(row.cbd_congestion_fee, 'cbd_congestion_fee');
  return event;
}
