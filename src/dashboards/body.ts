import type { Context } from 'hono';
import { FareboxError } from '../errors/index.ts';

/** A JSON (or form) body as a record; anything else is a 400. */
export async function bodyOf(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  const body: unknown = type.includes('application/json')
    ? await c.req.json().catch(() => undefined)
    : type.includes('form')
      ? await c.req.parseBody()
      : undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new FareboxError('bad_request', 'send a JSON object body (Content-Type: application/json)');
  return body as Record<string, unknown>;
}

/** A required non-empty text field of a body. */
export function text(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (typeof v !== 'string' || v.trim() === '')
    throw new FareboxError('bad_request', `missing field '${field}'`, { where: field });
  return v;
}
