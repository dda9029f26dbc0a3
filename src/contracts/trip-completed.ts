import { z } from 'zod';
import { eventId, instant, money } from './common.ts';

const tripV1Shape = {
  event_id: eventId,
  event_time: instant.describe('When the trip finished (drop-off), as the producer saw it.'),
  trip_id: z.string().min(1),
  vehicle_id: z.string().min(1).nullable(),
  driver_id: z.string().min(1).nullable(),
  taxi_kind: z.enum(['yellow', 'green']),
  vendor_id: z.int().nullable().describe('TLC VendorID: 1 CMT, 2 Curb/VeriFone, 6 Myle, 7 Helix.'),
  pickup_datetime: instant,
  dropoff_datetime: instant,
  passenger_count: z.int().nullable(),
  trip_distance: z.number().describe('Miles, as the taximeter reported.'),
  ratecode_id: z.int().nullable(),
  store_and_fwd_flag: z.string().nullable().describe("'Y' or 'N' as sent; cleaned in pre-load."),
  pu_location_id: z.int().describe('TLC taxi zone of the pick-up (1–265).'),
  do_location_id: z.int().describe('TLC taxi zone of the drop-off (1–265).'),
  payment_type: z
    .int()
    .nullable()
    .describe('0 flex, 1 card, 2 cash, 3 no charge, 4 dispute, 5 unknown, 6 voided.'),
  fare_amount: money,
  extra: money,
  mta_tax: money,
  tip_amount: money,
  tolls_amount: money,
  improvement_surcharge: money,
  total_amount: money,
  congestion_surcharge: money.nullable(),
  airport_fee: money.nullable(),
  trip_type: z.int().nullable().describe('Green taxis: 1 street-hail, 2 dispatch.'),
  ehail_fee: money.nullable(),
};

export const tripCompletedV1 = z.object(tripV1Shape);

/** v2 adds the 2025 Manhattan congestion relief zone fee. Optional, so v2 readers read v1 data (BACKWARD). */
export const tripCompletedV2 = z.object({
  ...tripV1Shape,
  cbd_congestion_fee: money.nullable().optional(),
});

export type TripCompleted = z.infer<typeof tripCompletedV2>;
