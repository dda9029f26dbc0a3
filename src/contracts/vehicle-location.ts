import { z } from 'zod';
import { eventId, instant } from './common.ts';

export const vehicleLocationV1 = z.object({
  event_id: eventId,
  event_time: instant,
  vehicle_id: z.string().min(1),
  driver_id: z.string().min(1).nullable(),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  speed_kmh: z.number().min(0),
  heading_deg: z.number().min(0).max(360),
  status: z.enum(['available', 'en_route', 'on_trip', 'off_duty']),
});

export type VehicleLocation = z.infer<typeof vehicleLocationV1>;
