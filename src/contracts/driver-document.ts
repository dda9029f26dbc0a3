import { z } from 'zod';
import { eventId, instant, objectRef } from './common.ts';

export const driverDocumentV1 = z.object({
  event_id: eventId,
  event_time: instant,
  driver_id: z.string().min(1),
  vehicle_id: z.string().min(1).nullable(),
  document_type: z.enum(['licence', 'insurance', 'vehicle_photo', 'registration']),
  document: objectRef.describe('The photo or scan; the bytes live in the object store (claim check).'),
  expires_on: z.iso.date().nullable(),
});

export type DriverDocument = z.infer<typeof driverDocumentV1>;
