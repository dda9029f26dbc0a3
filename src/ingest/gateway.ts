/**
 * The HTTP ingest gateway: `POST /v1/events/{type}` with one JSON object, a JSON array, or NDJSON.
 * Answers 202 {accepted} once every event is durably on the log; 400 for bodies that are not JSON
 * (naming the line), 401 without a valid bearer token, 404 for unknown event types, 413 past the size limit.
 */
import { timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { contractFor, eventTypes, isEventType } from '../contracts/index.ts';
import { closest, FareboxError, isFareboxError } from '../errors/index.ts';
import type { Producer } from './producer.ts';

export interface GatewayConfig {
  tokens: string[];
  maxBodyBytes: number;
}

export interface GatewayDeps {
  producer: Producer;
}

type Status = 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 503;

export function errorBody(c: Context, status: Status, code: string, message: string, hint?: string) {
  return c.json({ error: { code, message, ...(hint === undefined ? {} : { hint }) } }, status);
}

function tokenMatches(given: string, tokens: string[]): boolean {
  const g = Buffer.from(given);
  return tokens.some((t) => {
    const b = Buffer.from(t);
    return b.length === g.length && timingSafeEqual(b, g);
  });
}

/** Bearer-token check shared by every farebox HTTP API. */
export function requireToken(tokens: string[]) {
  return async (c: Context, next: () => Promise<void>) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (m?.[1] === undefined)
      return errorBody(
        c,
        401,
        'unauthorized',
        'missing bearer token',
        'send the header `Authorization: Bearer <token>`',
      );
    if (!tokenMatches(m[1].trim(), tokens))
      return errorBody(
        c,
        401,
        'unauthorized',
        'invalid bearer token',
        'use one of the tokens in FAREBOX_TOKENS',
      );
    await next();
    return undefined;
  };
}

/** Parses a JSON object, a JSON array of objects, or NDJSON; throws bad_request naming the line. */
export function parseEvents(text: string, contentType: string): Record<string, unknown>[] {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const trimmed = text.trim();
  if (trimmed === '')
    throw new FareboxError('bad_request', 'the body is empty; send a JSON object or NDJSON lines');
  const ndjson =
    /ndjson|jsonl|json-seq/.test(contentType) || (!trimmed.startsWith('[') && trimmed.includes('\n'));
  if (!ndjson) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (e) {
      throw new FareboxError('bad_request', `the body is not valid JSON: ${(e as Error).message}`);
    }
    const list = Array.isArray(value) ? value : [value];
    list.forEach((v, i) => {
      if (!isObject(v))
        throw new FareboxError(
          'bad_request',
          Array.isArray(value)
            ? `item ${i + 1} of the array is not a JSON object`
            : 'the body is not a JSON object',
        );
    });
    return list as Record<string, unknown>[];
  }
  const events: Record<string, unknown>[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new FareboxError('bad_request', `line ${i + 1} is not valid JSON: ${(e as Error).message}`);
    }
    if (!isObject(value)) throw new FareboxError('bad_request', `line ${i + 1} is not a JSON object`);
    events.push(value);
  });
  return events;
}

export function createGateway(config: GatewayConfig, deps: GatewayDeps): Hono {
  const app = new Hono();
  app.use('/v1/events/*', requireToken(config.tokens));
  app.post(
    '/v1/events/:type',
    bodyLimit({
      maxSize: config.maxBodyBytes,
      onError: (c) =>
        errorBody(
          c,
          413,
          'payload_too_large',
          `the body is larger than the limit of ${config.maxBodyBytes} bytes`,
          'split it into smaller NDJSON batches',
        ),
    }),
    async (c) => {
      const type = c.req.param('type');
      if (!isEventType(type)) {
        const near = closest(type, eventTypes);
        return errorBody(
          c,
          404,
          'not_found',
          `unknown event type '${type}'`,
          `known event types: ${eventTypes.join(', ')}${near === undefined ? '' : `; did you mean '${near}'?`}`,
        );
      }
      let events: Record<string, unknown>[];
      try {
        events = parseEvents(await c.req.text(), c.req.header('content-type') ?? '');
      } catch (e) {
        if (isFareboxError(e, 'bad_request')) return errorBody(c, 400, 'bad_request', e.message);
        throw e;
      }
      const versionParam = c.req.query('version');
      const version = versionParam === undefined ? undefined : Number(versionParam);
      if (version !== undefined && !Number.isInteger(version))
        return errorBody(c, 400, 'bad_request', `version must be a whole number, got '${versionParam}'`);
      try {
        const acks = await deps.producer.sendMany(contractFor(type).type, events, version);
        return c.json({ accepted: acks.length }, 202);
      } catch (e) {
        if (isFareboxError(e, 'bad_request')) return errorBody(c, 400, 'bad_request', e.message);
        const retriable = isFareboxError(e) && e.retriable;
        return errorBody(
          c,
          retriable ? 503 : 500,
          'internal',
          `events could not be written to the log: ${(e as Error).message}`,
        );
      }
    },
  );
  return app;
}
