/** A cleaned event → the row of its raw table (column names match warehouse/migrations). */
import type { EventType } from '../contracts/index.ts';
import { toDateTime64, toDecimal, toDecimalOrNull } from './convert.ts';
import type { Row, Source } from './types.ts';

export interface RowMeta extends Source {
  schemaId: number;
  schemaVersion: number;
  ingestedAt: string;
  flags: string[];
}

function meta(m: RowMeta): Row {
  return {
    flags: m.flags,
    schema_id: m.schemaId,
    schema_version: m.schemaVersion,
    ingested_at: m.ingestedAt,
    _topic: m.topic,
    _partition: m.partition,
    _offset: m.offset,
  };
}

type E = Record<string, unknown>;
const dt = (v: unknown): string | undefined => toDateTime64(v as string);
const money = (v: unknown): string => toDecimal(v as number);
const moneyOrNull = (v: unknown): string | null => toDecimalOrNull(v as number | null | undefined);

function tripRow(e: E, m: RowMeta): Row {
  return {
    event_id: e.event_id,
    event_time: dt(e.event_time),
    trip_id: e.trip_id,
    vehicle_id: e.vehicle_id,
    driver_id: e.driver_id,
    taxi_kind: e.taxi_kind,
    vendor_id: e.vendor_id,
    pickup_datetime: dt(e.pickup_datetime),
    dropoff_datetime: dt(e.dropoff_datetime),
    passenger_count: e.passenger_count,
    trip_distance: e.trip_distance,
    ratecode_id: e.ratecode_id,
    store_and_fwd_flag: e.store_and_fwd_flag,
    pu_location_id: e.pu_location_id,
    do_location_id: e.do_location_id,
    payment_type: e.payment_type,
    fare_amount: money(e.fare_amount),
    extra: money(e.extra),
    mta_tax: money(e.mta_tax),
    tip_amount: money(e.tip_amount),
    tolls_amount: money(e.tolls_amount),
    improvement_surcharge: money(e.improvement_surcharge),
    total_amount: money(e.total_amount),
    congestion_surcharge: moneyOrNull(e.congestion_surcharge),
    airport_fee: moneyOrNull(e.airport_fee),
    trip_type: e.trip_type,
    ehail_fee: moneyOrNull(e.ehail_fee),
    cbd_congestion_fee: moneyOrNull(e.cbd_congestion_fee),
    ...meta(m),
  };
}

function locationRow(e: E, m: RowMeta): Row {
  return {
    event_id: e.event_id,
    event_time: dt(e.event_time),
    vehicle_id: e.vehicle_id,
    driver_id: e.driver_id,
    lat: e.lat,
    lon: e.lon,
    speed_kmh: e.speed_kmh,
    heading_deg: e.heading_deg,
    status: e.status,
    ...meta(m),
  };
}

function documentRow(e: E, m: RowMeta): Row {
  const doc = e.document as { url: string; sha256: string; size: number; contentType: string };
  return {
    event_id: e.event_id,
    event_time: dt(e.event_time),
    driver_id: e.driver_id,
    vehicle_id: e.vehicle_id,
    document_type: e.document_type,
    document_url: doc.url,
    document_sha256: doc.sha256,
    document_size: doc.size,
    document_content_type: doc.contentType,
    expires_on: e.expires_on,
    ...meta(m),
  };
}

export const rowBuilders: Record<EventType, (e: E, m: RowMeta) => Row> = {
  trip_completed: tripRow,
  vehicle_location: locationRow,
  driver_document: documentRow,
};
