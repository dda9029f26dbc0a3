import { z } from 'zod';

/** ULID (26 Crockford base32) or a UUID (v7 recommended). */
export const eventId = z
  .string()
  .regex(
    /^(?:[0-9A-HJKMNP-TV-Z]{26}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i,
    'a ULID or a UUID',
  )
  .describe('Producer-assigned id (ULID or UUIDv7); the same event sent twice keeps its id.');

/** RFC 3339 instant with a zone offset or Z. */
export const instant = z.iso.datetime({ offset: true });

export const money = z.number().describe('US dollars; may be negative for refunds and voids.');

/** The reference a claim check leaves in place of binary bytes. */
export const objectRef = z
  .object({
    url: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.int().nonnegative(),
    contentType: z.string().min(1),
  })
  .describe('Claim-check reference to bytes in the object store.');
