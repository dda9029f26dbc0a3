/**
 * A trip between two zones priced like a NYC taximeter (approximately): $3 initial charge, $0.70 per
 * 1/5 mile, $0.70 per minute in slow traffic, $0.50 MTA tax, $1 improvement surcharge, $2.50 congestion
 * surcharge in Manhattan, $1.75 airport fee from JFK/LaGuardia, a $70 flat fare JFK ↔ Manhattan, and
 * from 5 January 2025 the $0.75 congestion relief zone fee. Card riders tip 15–25%; cash tips are not recorded.
 */
import type { TripCompleted } from '../contracts/index.ts';
import type { Random } from './random.ts';
import { miles, type Zone } from './zones.ts';

const cents = (x: number): number => Math.round(x * 100) / 100;
const airports = new Set([132, 138]);
const cbdStart = Date.UTC(2025, 0, 5, 5);

/** Average road speed in mph by hour of day (New York time). */
export function speedMph(hour: number): number {
  if (hour >= 7 && hour < 10) return 9;
  if (hour >= 15 && hour < 19) return 8;
  if (hour >= 23 || hour < 5) return 19;
  return 12;
}

/** Relative trip demand by hour: quiet at 3–5 am, peaks at 8–9 am and 5–8 pm. */
export function demand(hour: number): number {
  const curve = [
    0.6, 0.45, 0.3, 0.2, 0.2, 0.3, 0.6, 1.1, 1.5, 1.4, 1.1, 1.1, 1.2, 1.2, 1.2, 1.3, 1.4, 1.7, 1.8, 1.7, 1.4,
    1.2, 1.0, 0.8,
  ];
  return curve[hour] ?? 1;
}

const nyHourFormat = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  hour: 'numeric',
  hourCycle: 'h23',
});

export function nyHour(ms: number): number {
  return Number(nyHourFormat.format(ms));
}

export interface TripPlan {
  pickup: Zone;
  dropoff: Zone;
  distance: number;
  durationMs: number;
}

export function planTrip(rng: Random, pickup: Zone, dropoff: Zone, atMs: number): TripPlan {
  const distance = cents(Math.max(0.1, miles(pickup, dropoff) * 1.3 + rng.next() * 0.8));
  const mph = speedMph(nyHour(atMs)) * (0.8 + rng.next() * 0.4);
  const durationMs = Math.round((distance / mph) * 3_600_000 + 60_000 + rng.next() * 120_000);
  return { pickup, dropoff, distance, durationMs };
}

export function priceTrip(
  rng: Random,
  plan: TripPlan,
  ids: { eventId: string; tripId: string; vehicleId: string; driverId: string; kind: 'yellow' | 'green' },
  pickupMs: number,
): TripCompleted {
  const dropoffMs = pickupMs + plan.durationMs;
  const hour = nyHour(pickupMs);
  const minutes = plan.durationMs / 60_000;
  const manhattan = plan.pickup.borough === 'Manhattan' || plan.dropoff.borough === 'Manhattan';
  const jfkFlat =
    (plan.pickup.id === 132 && plan.dropoff.borough === 'Manhattan') ||
    (plan.dropoff.id === 132 && plan.pickup.borough === 'Manhattan');
  const slowShare = speedMph(hour) < 12 ? 0.4 : 0.15;
  const fare = jfkFlat ? 70 : cents(3 + 3.5 * plan.distance + 0.7 * minutes * slowShare);
  const extra = hour >= 16 && hour < 20 ? 2.5 : hour >= 20 || hour < 6 ? 1 : 0;
  const payment = rng.next() < 0.7 ? 1 : rng.next() < 0.93 ? 2 : rng.pick([3, 4]);
  const tip = payment === 1 ? cents(fare * (0.15 + rng.next() * 0.1)) : 0;
  const tolls = plan.pickup.borough !== plan.dropoff.borough && rng.chance(0.25) ? 6.94 : 0;
  const congestion = manhattan ? (ids.kind === 'green' ? 2.75 : 2.5) : 0;
  const airportFee = ids.kind === 'yellow' && airports.has(plan.pickup.id) ? 1.75 : 0;
  const cbd = manhattan && pickupMs >= cbdStart ? 0.75 : 0;
  const total = cents(fare + extra + 0.5 + tip + tolls + 1 + congestion + airportFee + cbd);
  return {
    event_id: ids.eventId,
    event_time: new Date(dropoffMs).toISOString(),
    trip_id: ids.tripId,
    vehicle_id: ids.vehicleId,
    driver_id: ids.driverId,
    taxi_kind: ids.kind,
    vendor_id: rng.chance(0.75) ? 2 : 1,
    pickup_datetime: new Date(pickupMs).toISOString(),
    dropoff_datetime: new Date(dropoffMs).toISOString(),
    passenger_count: rng.pick([1, 1, 1, 1, 1, 2, 2, 3, 4, 5]),
    trip_distance: plan.distance,
    ratecode_id: jfkFlat ? 2 : 1,
    store_and_fwd_flag: rng.chance(0.005) ? 'Y' : 'N',
    pu_location_id: plan.pickup.id,
    do_location_id: plan.dropoff.id,
    payment_type: payment,
    fare_amount: fare,
    extra,
    mta_tax: 0.5,
    tip_amount: tip,
    tolls_amount: tolls,
    improvement_surcharge: 1,
    total_amount: total,
    congestion_surcharge: congestion,
    airport_fee: ids.kind === 'yellow' ? airportFee : null,
    trip_type: ids.kind === 'green' ? (rng.chance(0.04) ? 2 : 1) : null,
    ehail_fee: null,
    cbd_congestion_fee: cbd,
  };
}
