import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contracts, importErrorHeader, type TripCompleted } from '../contracts/index.ts';
import { FareboxError } from '../errors/index.ts';
import type { ConsumedRecord } from '../log/index.ts';
import { checkInMessage, claimCheckHeader, createFsObjectStore } from '../objects/index.ts';
import { encodeWire, type SchemaRegistry } from '../registry/index.ts';
import { createPreload } from './preload.ts';
import { rowObject } from './rows.ts';
import type { DeadLetter, PreloadedBatch, Routed } from './types.ts';

const schemas = new Map<number, string>([
  [1, contracts.trip_completed.versions[0]?.schemaText ?? ''],
  [2, contracts.trip_completed.versions[1]?.schemaText ?? ''],
  [3, contracts.vehicle_location.versions[0]?.schemaText ?? ''],
]);
const registry = {
  getById(id: number) {
    const schema = schemas.get(id);
    if (schema === undefined) return Promise.reject(new FareboxError('schema_not_found', `no schema ${id}`));
    return Promise.resolve({ schema, schemaType: 'JSON' as const });
  },
} as unknown as SchemaRegistry;
const objects = await createFsObjectStore({
  dir: await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-preload-')),
});
const preload = createPreload({ workers: 0 }, { registry, objects, now: () => Date.UTC(2025, 1, 1, 12) });

const trip: TripCompleted = {
  event_id: '0194b6a0-0000-7000-8000-000000000001',
  event_time: '2025-02-01T00:26:59-05:00',
  trip_id: 't1',
  vehicle_id: 'v1',
  driver_id: 'd1',
  taxi_kind: 'yellow',
  vendor_id: 1,
  pickup_datetime: '2025-02-01T00:18:38-05:00',
  dropoff_datetime: '2025-02-01T00:26:59-05:00',
  passenger_count: 1,
  trip_distance: 1.6,
  ratecode_id: 1,
  store_and_fwd_flag: 'N',
  pu_location_id: 229,
  do_location_id: 237,
  payment_type: 1,
  fare_amount: 10,
  extra: 3.5,
  mta_tax: 0.5,
  tip_amount: 3,
  tolls_amount: 0,
  improvement_surcharge: 1,
  total_amount: 21.25,
  congestion_surcharge: 2.5,
  airport_fee: 0,
  trip_type: null,
  ehail_fee: null,
  cbd_congestion_fee: 0.75,
};

let offset = 0;
function record(
  value: Buffer,
  headers: Record<string, string> = {},
  topic = 'trip_completed',
): ConsumedRecord {
  return { topic, partition: 0, offset: offset++, timestamp: 0, key: null, value, headers };
}
const wire = (id: number, event: unknown): Buffer => encodeWire(id, Buffer.from(JSON.stringify(event)));

async function dead(r: ConsumedRecord): Promise<DeadLetter> {
  const routed: Routed = await preload.process(r);
  if (routed.ok) throw new Error(`expected a dead letter, got ${JSON.stringify(routed.row)}`);
  return routed.deadLetter;
}
async function row(r: ConsumedRecord): Promise<Record<string, unknown>> {
  const routed = await preload.process(r);
  if (!routed.ok) throw new Error(`expected ok, got ${routed.deadLetter.stage}: ${routed.deadLetter.reason}`);
  return rowObject(routed.type, routed.row);
}

describe('pre-load', () => {
  it('converts a valid trip: instants to epoch milliseconds, money to whole cents', async () => {
    const r = await row(record(wire(2, { ...trip, tip_amount: 3.0000000000000004, extra: 3.499 })));
    expect(r).toMatchObject({
      event_id: trip.event_id,
      pickup_datetime: Date.UTC(2025, 1, 1, 5, 18, 38),
      dropoff_datetime: Date.UTC(2025, 1, 1, 5, 26, 59),
      fare_amount: 10,
      tip_amount: 3,
      extra: 3.5,
      total_amount: 21.25,
      cbd_congestion_fee: 0.75,
      airport_fee: 0,
      ehail_fee: null,
      schema_id: 2,
      schema_version: 2,
      flags: [],
      _topic: 'trip_completed',
      ingested_at: Date.UTC(2025, 1, 1, 12),
    });
  });

  it('reads a v1 trip (no cbd_congestion_fee) with the v1 schema', async () => {
    const { cbd_congestion_fee: _, ...v1 } = trip;
    const r = await row(record(wire(1, { ...v1, total_amount: 20.5 })));
    expect(r).toMatchObject({ cbd_congestion_fee: null, schema_version: 1, flags: [] });
  });

  it('dead-letters what cannot be decoded, keeping the raw bytes', async () => {
    const notWire = Buffer.from('{"hello":1}');
    const d = await dead(record(notWire));
    expect(d).toMatchObject({ stage: 'decode', raw_base64: notWire.toString('base64'), schema_id: null });
    expect(d.reason).toMatch(/magic byte/);
    expect((await dead(record(wire(99, trip)))).reason).toBe('schema id 99 is not in the schema registry');
    const badJson = await dead(record(encodeWire(2, Buffer.from('{"event_id": '))));
    expect(badJson).toMatchObject({ stage: 'decode', schema_id: 2 });
    expect(badJson.reason).toMatch(/^payload is not JSON/);
    expect((await dead(record(wire(2, trip), {}, 'taxi_rides'))).reason).toContain("topic 'taxi_rides'");
  });

  it('dead-letters invalid events naming each field', async () => {
    const wrongType = await dead(record(wire(2, { ...trip, fare_amount: '10.00' })));
    expect(wrongType).toMatchObject({ stage: 'validate', event_id: trip.event_id });
    expect(wrongType.reason).toBe("field 'fare_amount' must be number");
    const { trip_id: _, ...missing } = trip;
    expect((await dead(record(wire(2, missing)))).reason).toBe("field 'trip_id' is required");
    expect((await dead(record(wire(2, { ...trip, vehicle_id: 5 })))).reason).toBe(
      "field 'vehicle_id' must be string or null",
    );
    expect((await dead(record(wire(3, trip)))).reason).toContain("is for 'vehicle_location'");
  });

  it('dead-letters a drop-off before the pick-up at the clean stage', async () => {
    const d = await dead(record(wire(2, { ...trip, dropoff_datetime: '2025-02-01T00:10:00-05:00' })));
    expect(d.stage).toBe('clean');
    expect(d.reason).toBe(
      'dropoff_datetime 2025-02-01T00:10:00-05:00 is before pickup_datetime 2025-02-01T00:18:38-05:00',
    );
  });

  it('flags the messiness of real TLC records and fixes what it safely can', async () => {
    const flagsOf = async (patch: Partial<TripCompleted>) =>
      (await row(record(wire(2, { ...trip, ...patch })))).flags;
    expect(await flagsOf({ fare_amount: -10, total_amount: -10.75 + 0 })).toContain('negative_amount');
    expect(await flagsOf({ trip_distance: 0 })).toEqual(['zero_distance']);
    expect(await flagsOf({ passenger_count: null })).toEqual(['missing_passenger_count']);
    expect(await flagsOf({ passenger_count: 0 })).toEqual(['zero_passengers']);
    expect(await flagsOf({ pu_location_id: 264 })).toEqual(['unknown_zone']);
    expect(await flagsOf({ ratecode_id: 99 })).toEqual(['unknown_ratecode']);
    expect(await flagsOf({ vendor_id: 5 })).toEqual(['unknown_vendor']);
    expect(await flagsOf({ dropoff_datetime: trip.pickup_datetime })).toEqual(['zero_duration']);
    expect(await flagsOf({ dropoff_datetime: '2025-02-03T00:00:00-05:00' })).toEqual(['long_duration']);
    expect(await flagsOf({ total_amount: 99 })).toEqual(['total_mismatch']);
    expect(await flagsOf({ store_and_fwd_flag: 'maybe' })).toEqual(['bad_store_and_fwd_flag']);
    const fixed = await row(record(wire(2, { ...trip, store_and_fwd_flag: ' y ', trip_id: ' t9 ' })));
    expect(fixed).toMatchObject({ store_and_fwd_flag: 'Y', trip_id: 't9', flags: [] });
  });

  it('dead-letters rows a file import could not parse, with the reason', async () => {
    const d = await dead(
      record(Buffer.from('1,2019-01-01,x'), { [importErrorHeader]: 'f.csv line 7: bad time' }),
    );
    expect(d).toMatchObject({ stage: 'decode', reason: 'import: f.csv line 7: bad time' });
    expect(Buffer.from(d.raw_base64, 'base64').toString()).toBe('1,2019-01-01,x');
  });

  it('resolves a claim-checked message from the object store', async () => {
    const value = await checkInMessage(wire(2, trip), objects);
    expect(await row(record(value, { [claimCheckHeader]: '1' }))).toMatchObject({ event_id: trip.event_id });
    const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(value.toString()), size: 3 }));
    expect((await dead(record(tampered, { [claimCheckHeader]: '1' }))).reason).toMatch(/^claim check: /);
  });
});

describe('pre-load in batches', () => {
  const batch = (): ConsumedRecord[] => {
    const { cbd_congestion_fee: _, ...v1 } = trip;
    return [
      record(wire(2, trip)),
      record(wire(2, { ...trip, event_id: '0194b6a0-0000-7000-8000-000000000002', fare_amount: 'x' })),
      record(Buffer.from('1,2019-01-01,x'), { [importErrorHeader]: 'f.csv line 7: bad time' }),
      record(wire(1, { ...v1, event_id: '0194b6a0-0000-7000-8000-000000000003', total_amount: 20.5 })),
      record(wire(99, trip)),
      record(wire(3, { event_id: 'x' }), {}, 'vehicle_location'),
    ];
  };
  const decoded = (b: PreloadedBatch) =>
    b.tables.map((t) => ({
      type: t.type,
      rows: new TextDecoder()
        .decode(t.body)
        .split('\n')
        .map((line) => rowObject(t.type, JSON.parse(line) as unknown[])),
    }));

  it('decides a batch the same on a worker thread as on the calling thread', async () => {
    const records = batch();
    const pooled = createPreload({ workers: 1 }, { registry, objects, now: () => Date.UTC(2025, 1, 1, 12) });
    try {
      const here = await preload.processBatch(records);
      const there = await pooled.processBatch(records);
      expect(there.loaded).toEqual([true, false, false, true, false, false]);
      expect(here.loaded).toEqual(there.loaded);
      expect(decoded(here)).toEqual(decoded(there));
      expect(here.deadLetters).toEqual(there.deadLetters);
      const [table] = decoded(there);
      expect(table?.rows.map((r) => [r.event_id, r.schema_version, r.total_amount])).toEqual([
        [trip.event_id, 2, 21.25],
        ['0194b6a0-0000-7000-8000-000000000003', 1, 20.5],
      ]);
      expect(there.deadLetters.map((d) => [d.offset, d.stage, d.reason])).toEqual([
        [records[2]?.offset, 'decode', 'import: f.csv line 7: bad time'],
        [records[1]?.offset, 'validate', "field 'fare_amount' must be number"],
        [records[4]?.offset, 'decode', 'schema id 99 is not in the schema registry'],
        [records[5]?.offset, 'validate', expect.stringContaining("field 'vehicle_id' is required")],
      ]);
      expect(there.deadLetters[0]?.raw_base64).toBe(Buffer.from('1,2019-01-01,x').toString('base64'));
    } finally {
      await pooled.close();
    }
  });

  it('resolves claim checks in a batch and merges their rows with the rest', async () => {
    const claimed = await checkInMessage(
      wire(2, { ...trip, event_id: '0194b6a0-0000-7000-8000-000000000009' }),
      objects,
    );
    const pooled = createPreload({ workers: 1 }, { registry, objects });
    try {
      const b = await pooled.processBatch([
        record(wire(2, trip)),
        record(claimed, { [claimCheckHeader]: '1' }),
      ]);
      expect(b.loaded).toEqual([true, true]);
      expect(decoded(b)[0]?.rows.map((r) => r.event_id)).toEqual([
        trip.event_id,
        '0194b6a0-0000-7000-8000-000000000009',
      ]);
    } finally {
      await pooled.close();
    }
  });
});
