/**
 * The fleet simulator: N vehicles move between the real NYC taxi zones, pick up riders following a
 * time-of-day demand curve, finish trips priced like a taximeter, ping their position every few
 * seconds, and now and then a driver uploads a document photo. Deterministic for a seed.
 */
import type { SimulatorConfig } from '../config/index.ts';
import type { EventType } from '../contracts/index.ts';
import { breakEvent } from './bad-events.ts';
import { documentImage } from './documents.ts';
import { demand, nyHour, planTrip, priceTrip, type TripPlan } from './fares.ts';
import { createRandom, type Random } from './random.ts';
import type { Zone } from './zones.ts';

export interface SimEvent {
  type: EventType;
  payload: Record<string, unknown>;
  /** True for a deliberately broken event. */
  bad: boolean;
}

type State = 'available' | 'en_route' | 'on_trip';

interface Vehicle {
  id: string;
  driverId: string;
  kind: 'yellow' | 'green';
  zone: Zone;
  state: State;
  until: number;
  plan: TripPlan | undefined;
  pickupAt: number;
  nextPing: number;
  trips: number;
}

export interface Simulator {
  /** Advances the simulated clock to match the wall clock `nowMs` (scaled by speed); returns what happened. */
  tick(nowMs: number): SimEvent[];
  /** Exactly `count` events, as fast as they can be made, on the simulated clock only. */
  events(count: number): Generator<SimEvent>;
  /** `count` trip_completed events with no pings in between (benchmarks). */
  trips(count: number): Generator<SimEvent>;
}

const documentTypes = ['licence', 'insurance', 'vehicle_photo', 'registration'] as const;
/** A Monday morning, so a run covers the morning peak. */
const defaultStart = Date.UTC(2025, 2, 3, 11, 0, 0);
const stepMs = 1000;

export function createSimulator(
  config: SimulatorConfig,
  deps: { zones: Zone[]; startMs?: number },
): Simulator {
  const rng: Random = createRandom(config.seed);
  const zones = deps.zones.filter((z) => z.id <= 263);
  const manhattan = zones.filter((z) => z.borough === 'Manhattan');
  const outer = zones.filter((z) => z.borough !== 'Manhattan' && z.borough !== 'EWR');
  let simNow = deps.startMs ?? defaultStart;
  /** Tells runs of the same seed from different start times apart in trip ids. */
  const runTag = simNow.toString(36);
  let wallStart: number | undefined;
  let tripSeq = 0;

  const vehicles: Vehicle[] = Array.from({ length: config.vehicles }, (_, i) => {
    const kind = rng.chance(0.85) ? 'yellow' : 'green';
    const n = String(i + 1).padStart(5, '0');
    const zone = kind === 'yellow' && rng.chance(0.8) ? rng.pick(manhattan) : rng.pick(outer);
    return {
      id: `veh-${n}`,
      driverId: `drv-${n}`,
      kind,
      zone,
      state: 'available',
      until: simNow + rng.int(0, 120_000),
      plan: undefined,
      pickupAt: 0,
      nextPing: simNow + rng.int(0, 4000),
      trips: 0,
    };
  });
  const emit = (out: SimEvent[], type: EventType, payload: Record<string, unknown>): void => {
    const bad = rng.chance(config.badShare);
    out.push({ type, payload: bad ? breakEvent(rng, type, payload) : payload, bad });
  };
  const destination = (from: Zone): Zone => {
    if (rng.chance(0.03)) return rng.pick(zones.filter((z) => z.id === 132 || z.id === 138));
    if (from.borough === 'Manhattan') return rng.chance(0.85) ? rng.pick(manhattan) : rng.pick(outer);
    return rng.chance(0.4) ? rng.pick(manhattan) : rng.pick(outer.filter((z) => z.borough === from.borough));
  };
  // Start mid-shift: about half the fleet is already carrying a rider, so trips finish from the first minute.
  for (const v of vehicles) {
    if (!rng.chance(0.5)) continue;
    v.plan = planTrip(rng, v.zone, destination(v.zone), simNow);
    v.pickupAt = simNow - Math.floor(rng.next() * v.plan.durationMs);
    v.state = 'on_trip';
    v.until = v.pickupAt + v.plan.durationMs;
  }

  const finishTrip = (v: Vehicle, plan: TripPlan, out: SimEvent[]): void => {
    tripSeq++;
    const trip = priceTrip(
      rng,
      plan,
      {
        eventId: rng.uuidv7(v.pickupAt + plan.durationMs),
        tripId: `trip-${config.seed}-${runTag}-${tripSeq}`,
        vehicleId: v.id,
        driverId: v.driverId,
        kind: v.kind,
      },
      v.pickupAt,
    );
    emit(out, 'trip_completed', trip);
    if (rng.chance(0.03)) {
      const image = documentImage(rng);
      emit(out, 'driver_document', {
        event_id: rng.uuidv7(simNow),
        event_time: new Date(simNow).toISOString(),
        driver_id: v.driverId,
        vehicle_id: v.id,
        document_type: rng.pick(documentTypes),
        document: image,
        expires_on: new Date(simNow + rng.int(30, 700) * 86_400_000).toISOString().slice(0, 10),
      });
    }
  };

  const step = (out: SimEvent[]): void => {
    simNow += stepMs;
    const hourlyChance = demand(nyHour(simNow)) / 600;
    for (const v of vehicles) {
      if (v.state === 'available' && simNow >= v.until && rng.chance(hourlyChance * (stepMs / 1000) * 10)) {
        v.state = 'en_route';
        v.until = simNow + rng.int(60_000, 480_000);
      } else if (v.state === 'en_route' && simNow >= v.until) {
        v.plan = planTrip(rng, v.zone, destination(v.zone), simNow);
        v.pickupAt = simNow;
        v.state = 'on_trip';
        v.until = simNow + v.plan.durationMs;
      } else if (v.state === 'on_trip' && simNow >= v.until && v.plan !== undefined) {
        finishTrip(v, v.plan, out);
        v.zone = v.plan.dropoff;
        v.plan = undefined;
        v.state = 'available';
        v.trips++;
      }
      if (simNow >= v.nextPing) {
        v.nextPing = simNow + rng.int(3000, 5000);
        const p = v.plan;
        const progress = p === undefined ? 0 : Math.min(1, (simNow - v.pickupAt) / p.durationMs);
        const lat = p === undefined ? v.zone.lat : p.pickup.lat + (p.dropoff.lat - p.pickup.lat) * progress;
        const lon = p === undefined ? v.zone.lon : p.pickup.lon + (p.dropoff.lon - p.pickup.lon) * progress;
        emit(out, 'vehicle_location', {
          event_id: rng.uuidv7(simNow),
          event_time: new Date(simNow).toISOString(),
          vehicle_id: v.id,
          driver_id: v.driverId,
          lat: Math.round((lat + (rng.next() - 0.5) * 0.002) * 1e6) / 1e6,
          lon: Math.round((lon + (rng.next() - 0.5) * 0.002) * 1e6) / 1e6,
          speed_kmh: v.state === 'available' ? 0 : Math.round(rng.next() * 45 * 10) / 10,
          heading_deg: Math.round(rng.next() * 3600) / 10,
          status: v.state,
        });
      }
    }
  };

  return {
    tick(nowMs) {
      wallStart ??= nowMs;
      const target = (deps.startMs ?? defaultStart) + (nowMs - wallStart) * config.speed;
      const out: SimEvent[] = [];
      while (simNow + stepMs <= target) step(out);
      return out;
    },
    *events(count) {
      let made = 0;
      while (made < count) {
        const out: SimEvent[] = [];
        step(out);
        for (const e of out) {
          if (made++ >= count) return;
          yield e;
        }
      }
    },
    *trips(count) {
      for (let i = 0; i < count; i++) {
        const v = vehicles[i % Math.max(1, vehicles.length)] ?? vehicles[0];
        if (v === undefined) return;
        const plan = planTrip(rng, v.zone, destination(v.zone), simNow);
        v.pickupAt = simNow;
        simNow += 50;
        const out: SimEvent[] = [];
        tripSeq++;
        const trip = priceTrip(
          rng,
          plan,
          {
            eventId: rng.uuidv7(simNow + plan.durationMs),
            tripId: `trip-${config.seed}-${runTag}-${tripSeq}`,
            vehicleId: v.id,
            driverId: v.driverId,
            kind: v.kind,
          },
          v.pickupAt,
        );
        emit(out, 'trip_completed', trip);
        yield* out;
      }
    },
  };
}
