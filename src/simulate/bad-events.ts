/** Deliberately broken events, so the dead-letter path is always exercised. */
import type { Random } from './random.ts';

type Payload = Record<string, unknown>;

const tripBreakers: ((e: Payload) => Payload)[] = [
  (e) => ({ ...e, fare_amount: String(e.fare_amount) }),
  ({ trip_id: _, ...e }) => e,
  (e) => ({ ...e, dropoff_datetime: e.pickup_datetime, pickup_datetime: e.dropoff_datetime }),
  (e) => ({ ...e, event_id: 'not-an-id' }),
  (e) => ({ ...e, taxi_kind: 'purple' }),
];
const pingBreakers: ((e: Payload) => Payload)[] = [
  (e) => ({ ...e, lat: 123.4 }),
  ({ vehicle_id: _, ...e }) => e,
  (e) => ({ ...e, speed_kmh: 'fast' }),
];

export function breakEvent(rng: Random, type: string, payload: Payload): Payload {
  const breakers =
    type === 'trip_completed'
      ? tripBreakers
      : type === 'vehicle_location'
        ? pingBreakers
        : [({ driver_id: _, ...e }: Payload) => e];
  return rng.pick(breakers)(payload);
}
