/**
 * The contract suite's harness for HTTP destinations: a receiver on 127.0.0.1 that keeps one table per
 * sync in memory and applies batches as a service would (per mode), once per idempotency key. It answers
 * 503 to every third request (the destination retries), and refuses rows whose note is 'REJECT' (and, in
 * update mode, rows it does not have) with `{ rejected: [...] }`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationHarness, Held } from './contract-suite.ts';
import { openDestination } from './index.ts';

interface Batch {
  sync: string;
  mode: string;
  rows: { op: string; key: string; data: Record<string, unknown> }[];
}

export interface Receiver {
  url: string;
  /** Requests answered 503 so far. */
  failed(): number;
  harness: DestinationHarness;
  close(): Promise<void>;
}

/** A JSON value as the text the contract suite compares (numbers and booleans as they print). */
const text = (v: unknown): string | null =>
  v === null || v === undefined
    ? null
    : typeof v === 'string'
      ? v
      : typeof v === 'number' || typeof v === 'boolean'
        ? String(v)
        : JSON.stringify(v);

export async function startReceiver(): Promise<Receiver> {
  const tables = new Map<string, Held>();
  const seen = new Set<string>();
  let requests = 0;
  let failures = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      requests += 1;
      if (requests % 3 === 0) {
        failures += 1;
        res.writeHead(503).end('try again');
        return;
      }
      const idempotencyKey = String(req.headers['idempotency-key']);
      const batch = JSON.parse(body) as Batch;
      const table: Held = tables.get(batch.sync) ?? new Map<string, Record<string, string | null>>();
      tables.set(batch.sync, table);
      const rejected: { key: string; error: string }[] = [];
      if (!seen.has(idempotencyKey)) {
        seen.add(idempotencyKey);
        for (const row of batch.rows) {
          const values = Object.fromEntries(Object.entries(row.data).map(([k, v]) => [k, text(v)]));
          if (row.op === 'deleted') table.delete(row.key);
          else if (values.note === 'REJECT')
            rejected.push({ key: row.key, error: 'note REJECT is not allowed' });
          else if (batch.mode === 'update' && !table.has(row.key))
            rejected.push({ key: row.key, error: 'no such driver' });
          else if (batch.mode === 'insert' && table.has(row.key))
            rejected.push({ key: row.key, error: 'exists already' });
          else table.set(row.key, values);
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ rejected }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/farebox`;
  return {
    url,
    failed: () => failures,
    harness: {
      destinationYaml: () =>
        `destination:\n  http:\n    url: ${url}\n    retry_delay: 10ms\n    rate_limit: 1000\n`,
      setUp(target, existing) {
        const table: Held = new Map();
        for (const id of existing)
          table.set(String(id), {
            driver_id: String(id),
            score: null,
            tier: null,
            earnings: null,
            note: null,
          });
        tables.set(target, table);
        return Promise.resolve();
      },
      open: (def) => openDestination(def, {}),
      read: (target) => Promise.resolve(new Map(tables.get(target) ?? [])),
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
