import { describe, expect, it } from 'vitest';
import type { EventType } from '../contracts/index.ts';
import { createGateway } from './gateway.ts';
import type { Producer } from './producer.ts';

const sent: { type: EventType; payload: Record<string, unknown> }[] = [];
const producer: Producer = {
  send: () => Promise.reject(new Error('unused')),
  sendUntyped(type, payload) {
    sent.push({ type, payload });
    return Promise.resolve({ topic: type, partition: 0, offset: sent.length - 1 });
  },
  async sendMany(type, payloads, version) {
    const acks = [];
    for (const p of payloads) acks.push(await this.sendUntyped(type, p, version));
    return acks;
  },
  flush: () => Promise.resolve(),
  close: () => Promise.resolve(),
};
const app = createGateway({ tokens: ['s3cret'], maxBodyBytes: 4096 }, { producer });

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await app.request(path, {
    method: 'POST',
    body,
    headers: { authorization: 'Bearer s3cret', 'content-type': 'application/json', ...headers },
  });
  return {
    status: res.status,
    json: (await res.json()) as {
      accepted?: number;
      error?: { code: string; message: string; hint?: string };
    },
  };
}

describe('ingest gateway', () => {
  it('accepts one JSON object, an array, or NDJSON, answering 202 with the count', async () => {
    sent.length = 0;
    expect(await post('/v1/events/trip_completed', '{"trip_id":"a"}')).toEqual({
      status: 202,
      json: { accepted: 1 },
    });
    expect((await post('/v1/events/trip_completed', '[{"a":1},{"a":2}]')).json.accepted).toBe(2);
    const nd = await post('/v1/events/vehicle_location', '{"a":1}\n{"a":2}\n\n{"a":3}\n', {
      'content-type': 'application/x-ndjson',
    });
    expect(nd).toEqual({ status: 202, json: { accepted: 3 } });
    expect(sent.map((s) => s.type)).toEqual([
      'trip_completed',
      'trip_completed',
      'trip_completed',
      'vehicle_location',
      'vehicle_location',
      'vehicle_location',
    ]);
  });

  it('answers 401 without a token or with a wrong one', async () => {
    const res = await app.request('/v1/events/trip_completed', { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      error: { code: 'unauthorized', message: 'missing bearer token' },
    });
    const wrong = await post('/v1/events/trip_completed', '{}', { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error?.message).toBe('invalid bearer token');
  });

  it('answers 404 for an unknown event type, suggesting the closest', async () => {
    const r = await post('/v1/events/trip_complete', '{}');
    expect(r.status).toBe(404);
    expect(r.json.error?.message).toBe("unknown event type 'trip_complete'");
    expect(r.json.error?.hint).toContain("did you mean 'trip_completed'?");
  });

  it('answers 400 for a body that is not JSON, naming the NDJSON line', async () => {
    const r = await post('/v1/events/trip_completed', '{"trip_id": ');
    expect(r.status).toBe(400);
    expect(r.json.error?.message).toMatch(/^the body is not valid JSON: /);
    const nd = await post('/v1/events/trip_completed', '{"a":1}\n{"a":2\n', {
      'content-type': 'application/x-ndjson',
    });
    expect(nd.status).toBe(400);
    expect(nd.json.error?.message).toMatch(/^line 2 is not valid JSON/);
    expect((await post('/v1/events/trip_completed', '[1]')).json.error?.message).toBe(
      'item 1 of the array is not a JSON object',
    );
    expect((await post('/v1/events/trip_completed', '   ')).json.error?.message).toMatch(/body is empty/);
  });

  it('answers 400 for a version that is not a number', async () => {
    const r = await post('/v1/events/trip_completed?version=two', '{}');
    expect(r).toEqual({
      status: 400,
      json: { error: { code: 'bad_request', message: "version must be a whole number, got 'two'" } },
    });
  });

  it('answers 413 for a body over the limit', async () => {
    const r = await post('/v1/events/trip_completed', JSON.stringify({ pad: 'x'.repeat(5000) }));
    expect(r.status).toBe(413);
    expect(r.json.error?.message).toBe('the body is larger than the limit of 4096 bytes');
  });
});
