/**
 * A cleaned event → the row of its raw table (values in column order), and rows → the insert body.
 * Column names match warehouse/migrations (a warehouse test checks it); inserts name the columns.
 */
import type { EventType } from '../contracts/index.ts';
import { toCents, toCentsOrNull, toEpochMs } from './convert.ts';
import type { Row, Source } from './types.ts';

export interface RowMeta extends Source {
  schemaId: number;
  schemaVersion: number;
  /** Milliseconds since the epoch. */
  ingestedAt: number;
  flags: string[];
}

const metaColumns = [
  'flags',
  'schema_id',
  'schema_version',
  'ingested_at',
  '_topic',
  '_partition',
  '_offset',
] as const;

/** The columns of each raw table that pre-load fills, in insert order. */
export const rowColumns: Record<EventType, readonly string[]> = {
  trip_completed: [
    'event_id',
    'event_time',
    'trip_id',
    'vehicle_id',
    'driver_id',
    'taxi_kind',
    'vendor_id',
    'pickup_datetime',
    'dropoff_datetime',
    'passenger_count',
    'trip_distance',
    'ratecode_id',
    'store_and_fwd_flag',
    'pu_location_id',
    'do_location_id',
    'payment_type',
    'fare_amount',
    'extra',
    'mta_tax',
    'tip_amount',
    'tolls_amount',
    'improvement_surcharge',
    'total_amount',
    'congestion_surcharge',
    'airport_fee',
    'trip_type',
    'ehail_fee',
    'cbd_congestion_fee',
    ...metaColumns,
  ],
  vehicle_location: [
    'event_id',
    'event_time',
    'vehicle_id',
    'driver_id',
    'lat',
    'lon',
    'speed_kmh',
    'heading_deg',
    'status',
    ...metaColumns,
  ],
  driver_document: [
    'event_id',
    'event_time',
    'driver_id',
    'vehicle_id',
    'document_type',
    'document_url',
    'document_sha256',
    'document_size',
    'document_content_type',
    'expires_on',
    ...metaColumns,
  ],
};

type E = Record<string, unknown>;
const dt = (v: unknown): number | null => toEpochMs(v as string);
const money = (v: unknown): number => toCents(v as number);
const moneyOrNull = (v: unknown): number | null => toCentsOrNull(v as number | null | undefined);

// Each builder lists its values in the order of rowColumns (a unit test checks the two line up).
const meta = (m: RowMeta): unknown[] => [
  m.flags,
  m.schemaId,
  m.schemaVersion,
  m.ingestedAt,
  m.topic,
  m.partition,
  m.offset,
];

function tripRow(e: E, m: RowMeta): Row {
  return [
    e.event_id,
    dt(e.event_time),
    e.trip_id,
    e.vehicle_id,
    e.driver_id,
    e.taxi_kind,
    e.vendor_id,
    dt(e.pickup_datetime),
    dt(e.dropoff_datetime),
    e.passenger_count,
    e.trip_distance,
    e.ratecode_id,
    e.store_and_fwd_flag,
    e.pu_location_id,
    e.do_location_id,
    e.payment_type,
    money(e.fare_amount),
    money(e.extra),
    money(e.mta_tax),
    money(e.tip_amount),
    money(e.tolls_amount),
    money(e.improvement_surcharge),
    money(e.total_amount),
    moneyOrNull(e.congestion_surcharge),
    moneyOrNull(e.airport_fee),
    e.trip_type ?? null,
    moneyOrNull(e.ehail_fee),
    moneyOrNull(e.cbd_congestion_fee),
    ...meta(m),
  ];
}

function locationRow(e: E, m: RowMeta): Row {
  return [
    e.event_id,
    dt(e.event_time),
    e.vehicle_id,
    e.driver_id ?? null,
    e.lat,
    e.lon,
    e.speed_kmh,
    e.heading_deg,
    e.status,
    ...meta(m),
  ];
}

function documentRow(e: E, m: RowMeta): Row {
  const doc = e.document as { url: string; sha256: string; size: number; contentType: string };
  return [
    e.event_id,
    dt(e.event_time),
    e.driver_id,
    e.vehicle_id ?? null,
    e.document_type,
    doc.url,
    doc.sha256,
    doc.size,
    doc.contentType,
    e.expires_on ?? null,
    ...meta(m),
  ];
}

export const rowBuilders: Record<EventType, (e: E, m: RowMeta) => Row> = {
  trip_completed: tripRow,
  vehicle_location: locationRow,
  driver_document: documentRow,
};

/** Rows as a JSONCompactEachRow body: one JSON array per line, no key names for ClickHouse to parse. */
export function encodeRows(rows: readonly Row[]): string {
  const lines = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) lines[i] = JSON.stringify(rows[i]);
  return lines.join('\n');
}

/** Objects as a JSONCompactEachRow body in `columns` order (absent fields are null). */
export function encodeObjects(columns: readonly string[], objects: readonly object[]): string {
  return encodeRows(objects.map((o) => columns.map((c) => (o as Record<string, unknown>)[c] ?? null)));
}

/** A row as an object keyed by column, for people and tests. */
export function rowObject(type: EventType, row: Row): Record<string, unknown> {
  return Object.fromEntries(rowColumns[type].map((c, i) => [c, row[i]]));
}
