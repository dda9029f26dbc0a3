import { describe, expect, it } from 'vitest';
import { driverDocumentV1, tripCompletedV2, vehicleLocationV1 } from '../contracts/index.ts';
import { repoRoot } from '../config/index.ts';
import { demand } from './fares.ts';
import { createSimulator, type SimEvent } from './simulator.ts';
import { loadZones } from './zones.ts';

const zones = await loadZones(`${repoRoot}/transform/seeds/taxi_zone_lookup.csv`);
const config = { vehicles: 100, seed: 1, badShare: 0.01, speed: 1 };
const take = (n: number, seed = 1, badShare = 0.01): SimEvent[] => [
  ...createSimulator({ ...config, seed, badShare }, { zones }).events(n),
];
const schemas = {
  trip_completed: tripCompletedV2,
  vehicle_location: vehicleLocationV1,
  driver_document: driverDocumentV1,
};

describe('fleet simulator', () => {
  it('loads the 265 real zones with positions around New York', () => {
    expect(zones).toHaveLength(265);
    expect(zones.find((z) => z.id === 132)).toMatchObject({ zone: 'JFK Airport', borough: 'Queens' });
    for (const z of zones) {
      expect(z.lat).toBeGreaterThan(40.4);
      expect(z.lon).toBeLessThan(-73.6);
    }
  });

  it('is deterministic for a seed', () => {
    const strip = (es: SimEvent[]) =>
      JSON.stringify(es.map((e) => ({ ...e, payload: { ...e.payload, document: undefined } })));
    expect(strip(take(3000))).toBe(strip(take(3000)));
    expect(strip(take(3000, 2))).not.toBe(strip(take(3000)));
  });

  it('gives a run started later new event and trip ids, so a restarted fleet adds events', () => {
    const ids = (startMs: number) => {
      const es = [...createSimulator(config, { zones, startMs }).trips(200)];
      return new Set(es.flatMap((e) => [String(e.payload.event_id), String(e.payload.trip_id)]));
    };
    const first = ids(Date.UTC(2026, 10, 24, 8));
    const later = ids(Date.UTC(2026, 10, 24, 9));
    expect(first.size).toBe(400);
    expect([...later].filter((id) => first.has(id))).toEqual([]);
  });

  it('makes events that satisfy their contracts, except the deliberately bad ones', () => {
    const events = take(60_000, 3, 0.01);
    const types = new Set(events.map((e) => e.type));
    expect(types).toEqual(new Set(['trip_completed', 'vehicle_location', 'driver_document']));
    for (const e of events) {
      const payload =
        e.type === 'driver_document'
          ? {
              ...e.payload,
              document: { url: 'file:///x', sha256: '0'.repeat(64), size: 1, contentType: 'image/png' },
            }
          : e.payload;
      const valid = schemas[e.type].safeParse(payload).success;
      const dropoffFirst =
        e.type === 'trip_completed' && String(e.payload.dropoff_datetime) < String(e.payload.pickup_datetime);
      expect(valid && !dropoffFirst, `${e.type} bad=${e.bad}`).toBe(!e.bad);
    }
    const bad = events.filter((e) => e.bad).length / events.length;
    expect(bad).toBeGreaterThan(0.006);
    expect(bad).toBeLessThan(0.014);
  });

  it('prices trips as the sum of their parts, tipping by card only', () => {
    const trips = [...createSimulator({ ...config, badShare: 0 }, { zones }).trips(2000)].map(
      (e) => e.payload,
    );
    for (const t of trips) {
      const parts = [
        'fare_amount',
        'extra',
        'mta_tax',
        'tip_amount',
        'tolls_amount',
        'improvement_surcharge',
        'congestion_surcharge',
        'airport_fee',
        'cbd_congestion_fee',
      ];
      const sum = parts.reduce((a, k) => a + (Number(t[k]) || 0), 0);
      expect(Number(t.total_amount)).toBeCloseTo(sum, 2);
      if (t.payment_type !== 1) expect(t.tip_amount).toBe(0);
      expect(Number(t.fare_amount)).toBeGreaterThan(3);
    }
    expect(trips.filter((t) => t.payment_type === 1).length / trips.length).toBeGreaterThan(0.6);
  });

  it('follows the demand curve and pings each vehicle every few seconds', () => {
    expect(demand(8)).toBeGreaterThan(2 * demand(4));
    const pings = take(20_000, 4, 0).filter(
      (e) => e.type === 'vehicle_location' && e.payload.vehicle_id === 'veh-00001',
    );
    const times = pings.map((p) => Date.parse(String(p.payload.event_time)));
    for (let i = 1; i < times.length; i++)
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(3000);
    for (let i = 1; i < times.length; i++)
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeLessThanOrEqual(5000);
  });

  it('uploads documents as real PNG images of 100 KB to 5 MB', () => {
    const docs = take(150_000, 5, 0).filter((e) => e.type === 'driver_document');
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) {
      const { bytes, contentType } = d.payload.document as { bytes: Buffer; contentType: string };
      expect(contentType).toBe('image/png');
      expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(bytes.length).toBeGreaterThanOrEqual(100_000);
      expect(bytes.length).toBeLessThanOrEqual(5_100_000);
    }
  });
});
