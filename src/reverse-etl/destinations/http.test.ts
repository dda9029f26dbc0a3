import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isFareboxError } from '../../errors/index.ts';
import type { BatchContext, DestinationDef, SyncRow } from '../types.ts';
import { createHttpDestination, redactUrl } from './http.ts';

type HttpDef = Extract<DestinationDef, { kind: 'http' }>;

interface Request {
  key: string;
  headers: http.IncomingHttpHeaders;
  body: { sync: string; run_id: number; batch: number; mode: string; rows: unknown[] };
}
type Answer = { status: number; body?: unknown; headers?: Record<string, string>; hang?: boolean };

/** A receiver that applies each idempotency key once and answers as the test scripts it. */
let requests: Request[] = [];
/** Idempotency key → rows applied; a key seen again is acknowledged without applying it twice. */
let applied = new Map<string, number>();
let duplicates = 0;
const apply = (r: Request): void => {
  if (applied.has(r.key)) duplicates++;
  else applied.set(r.key, r.body.rows.length);
};
let answer: (req: Request, attempt: number) => Answer = () => ({ status: 200 });

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const r: Request = {
      key: String(req.headers['idempotency-key']),
      headers: req.headers,
      body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Request['body'],
    };
    requests.push(r);
    const a = answer(r, requests.filter((x) => x.key === r.key).length);
    if (a.hang === true) return;
    if (a.status >= 200 && a.status < 300) apply(r);
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
    res.end(a.body === undefined ? '' : typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
  });
});
let url = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  requests = [];
  applied = new Map();
  duplicates = 0;
  answer = () => ({ status: 200 });
});

const def = (over: Partial<HttpDef> = {}): HttpDef => ({
  kind: 'http',
  url,
  rateLimit: 1000,
  retries: 3,
  retryDelayMs: 1,
  timeoutMs: 5000,
  ...over,
});
const ctx = (batchNo: number): BatchContext => ({
  sync: 'drivers',
  runId: 7,
  batchNo,
  mode: 'mirror',
  columns: [
    { name: 'id', chType: 'UInt32', key: true },
    { name: 'name', chType: 'String', key: false },
    { name: 'active', chType: 'Bool', key: false },
  ],
});
const rows: SyncRow[] = [
  { op: 'added', key: '1', values: { id: '1', name: 'ann', active: 'true' } },
  { op: 'changed', key: '2', values: { id: '2', name: 'bo', active: 'false' } },
  { op: 'deleted', key: '3', values: { id: '3' } },
];
/** Records what the destination sleeps, without waiting. */
const fakeSleep = () => {
  const sleeps: number[] = [];
  return { sleeps, sleep: (ms: number) => (sleeps.push(ms), Promise.resolve()) };
};

describe('http destination', () => {
  it('posts one JSON batch with typed values and an idempotency key', async () => {
    const d = createHttpDestination(def());
    await d.prepare(ctx(1));
    expect(await d.write(rows, ctx(1))).toEqual({ rejected: [] });
    expect(requests).toHaveLength(1);
    const [r] = requests;
    expect(r?.headers['content-type']).toBe('application/json');
    expect(r?.headers['user-agent']).toBe('farebox');
    expect(r?.key).toBe('farebox-drivers-7-1');
    expect(r?.body).toEqual({
      sync: 'drivers',
      run_id: 7,
      batch: 1,
      mode: 'mirror',
      rows: [
        { op: 'added', key: '1', data: { id: 1, name: 'ann', active: true } },
        { op: 'changed', key: '2', data: { id: 2, name: 'bo', active: false } },
        { op: 'deleted', key: '3', data: { id: 3 } },
      ],
    });
    expect(await d.applied(ctx(1))).toBeUndefined();
    await d.close();
  });

  it('retries 503 and lost answers with the same key, so each batch is applied once', async () => {
    // Batch 1: 503 first. Batch 2: applied, but the answer says 502 (as if lost), then 200.
    answer = (r, attempt) => {
      if (attempt > 1) return { status: 200 };
      if (r.body.batch === 1) return { status: 503, body: 'busy' };
      if (r.body.batch === 3) return { status: 200 };
      apply(r);
      return { status: 502 };
    };
    const { sleeps, sleep } = fakeSleep();
    const d = createHttpDestination(def({ retryDelayMs: 100 }), { sleep });
    for (const n of [1, 2, 3]) expect(await d.write(rows, ctx(n))).toEqual({ rejected: [] });
    expect(requests.map((r) => r.key)).toEqual([
      'farebox-drivers-7-1',
      'farebox-drivers-7-1',
      'farebox-drivers-7-2',
      'farebox-drivers-7-2',
      'farebox-drivers-7-3',
    ]);
    // Each batch applied once: batch 2's resend carried its key, and the receiver recognised it.
    expect([...applied]).toEqual([
      ['farebox-drivers-7-1', 3],
      ['farebox-drivers-7-2', 3],
      ['farebox-drivers-7-3', 3],
    ]);
    expect(duplicates).toBe(1);
    expect(sleeps.filter((ms) => ms >= 100)).toEqual([100, 100]);
  });

  it('resends a batch of a resumed run under the same key', async () => {
    await createHttpDestination(def()).write(rows, ctx(5));
    await createHttpDestination(def()).write(rows, ctx(5));
    expect(requests.map((r) => r.key)).toEqual(['farebox-drivers-7-5', 'farebox-drivers-7-5']);
    expect(applied.size).toBe(1);
    expect(duplicates).toBe(1);
  });

  it('backs off exponentially, and honours a longer Retry-After', async () => {
    answer = (_r, attempt) =>
      attempt === 1
        ? { status: 429, headers: { 'retry-after': '2' } }
        : attempt < 4
          ? { status: 503 }
          : { status: 200 };
    const { sleeps, sleep } = fakeSleep();
    const d = createHttpDestination(def({ retryDelayMs: 300 }), { sleep });
    expect(await d.write(rows, ctx(1))).toEqual({ rejected: [] });
    expect(sleeps.filter((ms) => ms >= 300)).toEqual([2000, 600, 1200]);
    expect([...applied.keys()]).toEqual(['farebox-drivers-7-1']);
  });

  it('records the rows the receiver rejects, and counts the rest applied', async () => {
    answer = () => ({
      status: 200,
      body: {
        rejected: [{ key: '2', error: 'unknown driver' }, { key: 'not-in-batch', error: 'x' }, { key: '3' }],
      },
    });
    const d = createHttpDestination(def());
    expect(await d.write(rows, ctx(1))).toEqual({
      rejected: [
        { key: '2', error: 'unknown driver' },
        { key: '3', error: 'rejected by the receiver' },
      ],
    });
  });

  it('sends user:password of the URL as Basic authorization', async () => {
    const d = createHttpDestination(def({ url: url.replace('http://', 'http://sync:p%40ss@') }));
    await d.write(rows, ctx(1));
    expect(requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('sync:p@ss').toString('base64')}`);
    expect(d.describe).not.toContain('p%40ss');
  });

  it('counts a 2xx without a rejected list (or without JSON) as all applied', async () => {
    answer = () => ({ status: 202, body: 'thanks' });
    expect(await createHttpDestination(def()).write(rows, ctx(1))).toEqual({ rejected: [] });
  });

  it('rejects every row of a batch the receiver refuses (422), without retrying', async () => {
    answer = () => ({ status: 422, body: { error: 'name must not be empty' } });
    const result = await createHttpDestination(def()).write(rows, ctx(1));
    const error = 'HTTP 422: {"error":"name must not be empty"}';
    expect(result.rejected).toEqual(rows.map((r) => ({ key: r.key, error })));
    expect(requests).toHaveLength(1);
  });

  it('fails the batch with sync_destination after the last retry, naming status and body', async () => {
    answer = () => ({ status: 500, body: 'database is on fire' });
    const d = createHttpDestination(def({ retries: 2 }));
    await expect(d.write(rows, ctx(4))).rejects.toSatisfy(
      (e) =>
        isFareboxError(e, 'sync_destination') &&
        e.retriable &&
        e.message.includes(url) &&
        e.message.includes('HTTP 500: database is on fire') &&
        e.message.includes('3 attempts'),
    );
    expect(requests).toHaveLength(3);
  });

  it('fails with sync_destination when the receiver is down, credentials hidden', async () => {
    const down = http.createServer();
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const port = (down.address() as AddressInfo).port;
    await new Promise<void>((resolve) => down.close(() => resolve()));
    const d = createHttpDestination(
      def({ url: `http://user:s3cret@127.0.0.1:${port}/hook?token=t0ken`, retries: 2 }),
    );
    expect(d.describe).toBe(`http http://***@127.0.0.1:${port}/hook?token=***`);
    const error: unknown = await d.write(rows, ctx(1)).catch((e: unknown) => e);
    expect(isFareboxError(error, 'sync_destination')).toBe(true);
    const message = (error as Error).message;
    expect(message).toMatch(/3 attempts/);
    expect(message).toMatch(/ECONNREFUSED/);
    expect(message).not.toMatch(/s3cret|t0ken/);
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    answer = () => ({ status: 200, hang: true });
    const d = createHttpDestination(def({ timeoutMs: 100, retries: 1 }));
    await expect(d.write(rows, ctx(1))).rejects.toSatisfy(
      (e) => isFareboxError(e, 'sync_destination') && e.message.includes('no answer within 100 ms'),
    );
    expect(requests).toHaveLength(2);
  });

  it('spaces requests to the rate limit, retries included', async () => {
    let clock = 1_000_000;
    const sent: number[] = [];
    answer = (r, attempt) => (r.body.batch === 2 && attempt === 1 ? { status: 503 } : { status: 200 });
    const d = createHttpDestination(def({ rateLimit: 4, retryDelayMs: 10 }), {
      now: () => clock,
      sleep: (ms) => {
        clock += ms;
        return Promise.resolve();
      },
      fetch: (input, init) => {
        sent.push(clock);
        return fetch(input, init);
      },
    });
    for (const n of [1, 2, 3, 4]) await d.write(rows, ctx(n));
    expect(sent).toHaveLength(5);
    expect(sent.slice(1).map((t, i) => t - (sent[i] ?? 0))).toEqual([250, 250, 250, 250]);
  });

  it('does not follow redirects (a POST would become a GET)', async () => {
    answer = () => ({ status: 302, headers: { location: 'http://elsewhere/hook?key=abc' } });
    await expect(createHttpDestination(def()).write(rows, ctx(1))).rejects.toSatisfy(
      (e) => isFareboxError(e, 'sync_invalid') && e.hint?.includes('http://elsewhere/hook?key=***') === true,
    );
  });

  it('prepare accepts only http(s) URLs', async () => {
    await expect(createHttpDestination(def({ url: 'ftp://x/y' })).prepare(ctx(1))).rejects.toSatisfy((e) =>
      isFareboxError(e, 'sync_invalid'),
    );
    await expect(createHttpDestination(def({ url: 'https://x/y' })).prepare(ctx(1))).resolves.toBeUndefined();
    expect(redactUrl('not a url?secret=1')).toBe('not a url?***');
  });
});
