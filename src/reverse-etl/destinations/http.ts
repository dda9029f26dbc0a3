/**
 * An HTTP endpoint as a sync destination: each batch is one JSON POST to the sync's URL.
 *
 *   POST <url>
 *   content-type: application/json
 *   idempotency-key: farebox-<sync>-<run id>-<batch no>
 *   user-agent: farebox
 *   { "sync": "…", "run_id": 12, "batch": 3, "mode": "upsert",
 *     "rows": [{ "op": "added" | "changed" | "deleted", "key": "…", "data": { "<column>": <value> } }] }
 *
 * `data` holds typed JSON values (see values.ts); a deleted row's holds only its key columns. A batch
 * resent (a retry, or a run resumed after a crash) carries the same idempotency key: the receiver should
 * apply each key once.
 *
 * The receiver answers:
 * - 2xx: the batch is applied. A JSON body `{ "rejected": [{ "key": "<row key>", "error": "<why>" }] }`
 *   names rows it refused (recorded as failed, sent again next run); the rest count as applied.
 * - 408, 425, 429, 5xx, or no answer (network error, timeout): retried with exponential backoff,
 *   honouring Retry-After; when the retries run out the run fails (FareboxError 'sync_destination').
 * - any other 4xx (400, 404, 409, 413, 422 …): the whole batch is refused; every row is recorded as
 *   failed with `HTTP <status>: <body start>` and the run goes on.
 * - 3xx: not followed (a POST would turn into a GET); the sync's URL must name the final address.
 *
 * A user:password in the URL is sent as Basic authorization; logs and errors show the URL with it, and
 * every query value, hidden.
 *
 * At most `rateLimit` requests a second leave this destination (retries count), spaced evenly.
 */
import { FareboxError } from '../../errors/index.ts';
import type { BatchContext, BatchResult, Destination, DestinationDef, SyncRow } from '../types.ts';
import { jsonRow } from './values.ts';

type HttpDef = Extract<DestinationDef, { kind: 'http' }>;

export interface HttpDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** A Retry-After longer than this is cut to it: a sync should fail rather than hang for hours. */
const maxRetryAfterMs = 5 * 60_000;
const bodyStartChars = 200;

/** The URL for logs and errors: user and password, and every query value, hidden. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username !== '' || u.password !== '') {
      u.username = '***';
      u.password = '';
    }
    const query = [...u.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=***`).join('&');
    u.search = '';
    return `${u.toString()}${query === '' ? '' : `?${query}`}`;
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//***@').replace(/\?.*$/, '?***');
  }
}

const retriableStatus = (status: number): boolean =>
  status === 408 || status === 425 || status === 429 || status >= 500;

const bodyStart = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > bodyStartChars ? `${flat.slice(0, bodyStartChars)}…` : flat;
};

/** The URL fetch can take (it refuses user:password@) and the Basic authorization they meant. */
function target(url: string): { url: string; authorization: string | undefined } {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return { url, authorization: undefined };
    const user = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
    u.username = '';
    u.password = '';
    return { url: u.toString(), authorization: `Basic ${Buffer.from(user).toString('base64')}` };
  } catch {
    return { url, authorization: undefined };
  }
}

/** Retry-After in milliseconds (seconds, or an HTTP date); undefined when absent or unreadable. */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const ms = /^\d+(\.\d+)?$/.test(header.trim()) ? Number(header) * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), maxRetryAfterMs) : undefined;
}

/** The rows a 2xx body names as rejected; only keys of this batch, each once. */
function rejectedRows(text: string, rows: SyncRow[]): BatchResult['rejected'] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [];
  }
  const list = (body as { rejected?: unknown } | null)?.rejected;
  if (!Array.isArray(list)) return [];
  const keys = new Set(rows.map((r) => r.key));
  const out = new Map<string, string>();
  for (const item of list as unknown[]) {
    const { key, error } = (item ?? {}) as { key?: unknown; error?: unknown };
    if (typeof key !== 'string' || !keys.has(key) || out.has(key)) continue;
    out.set(key, typeof error === 'string' && error !== '' ? error : 'rejected by the receiver');
  }
  return [...out].map(([key, error]) => ({ key, error }));
}

export function createHttpDestination(def: HttpDef, deps: HttpDeps = {}): Destination {
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = deps.now ?? Date.now;
  const shown = redactUrl(def.url);
  const { url, authorization } = target(def.url);
  /** An error's text with the URL as written (secrets and all) replaced by the shown one. */
  const hide = (text: string): string => text.replaceAll(def.url, shown).replaceAll(url, shown);
  const spacingMs = 1000 / def.rateLimit;
  /** When the next request may leave; each request takes its slot before it waits. */
  let nextSlot = 0;

  async function paced(): Promise<void> {
    const t = now();
    const slot = Math.max(t, nextSlot);
    nextSlot = slot + spacingMs;
    if (slot > t) await sleep(slot - t);
  }

  async function post(body: string, ctx: BatchContext): Promise<{ status: number; text: string }> {
    const headers = {
      'content-type': 'application/json',
      'idempotency-key': `farebox-${ctx.sync}-${ctx.runId}-${ctx.batchNo}`,
      'user-agent': 'farebox',
      ...(authorization === undefined ? {} : { authorization }),
    };
    for (let attempt = 1; ; attempt++) {
      await paced();
      let waitAtLeast = 0;
      let failure: string;
      let cause: unknown;
      try {
        const res = await doFetch(url, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(def.timeoutMs),
        });
        const text = await res.text();
        if (res.status >= 300 && res.status < 400) {
          const location = res.headers.get('location');
          const to = location === null ? '' : ` (location: ${redactUrl(location)})`;
          throw new FareboxError(
            'sync_invalid',
            `http ${shown}: the receiver redirects (HTTP ${res.status})`,
            {
              hint: `set the sync's url to the final address${to}`,
            },
          );
        }
        if (!retriableStatus(res.status)) return { status: res.status, text };
        failure = `HTTP ${res.status}: ${bodyStart(text)}`;
        waitAtLeast = retryAfterMs(res.headers.get('retry-after'), now()) ?? 0;
      } catch (e) {
        if (e instanceof FareboxError) throw e;
        const name = e instanceof Error ? e.name : '';
        failure =
          name === 'TimeoutError'
            ? `no answer within ${def.timeoutMs} ms`
            : hide(`${e instanceof Error ? e.message : String(e)}${causeMessage(e)}`);
        cause = e;
      }
      if (attempt > def.retries)
        throw new FareboxError(
          'sync_destination',
          `http ${shown}: batch ${ctx.batchNo} of run ${ctx.runId} of sync ${ctx.sync} failed after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${failure}`,
          { retriable: true, cause, hint: 'check that the receiver is up; the run resumes from this batch' },
        );
      await sleep(Math.max(def.retryDelayMs * 2 ** (attempt - 1), waitAtLeast));
    }
  }

  return {
    describe: `http ${shown}`,

    prepare() {
      let protocol = '';
      try {
        protocol = new URL(def.url).protocol;
      } catch {
        // not a URL at all: refused below
      }
      if (protocol === 'http:' || protocol === 'https:') return Promise.resolve();
      return Promise.reject(
        new FareboxError('sync_invalid', `http destination ${shown} is not an http(s) URL`, {
          hint: 'give destination.http.url as http://… or https://…',
        }),
      );
    },

    applied: () => Promise.resolve(undefined),

    async write(rows, ctx) {
      const body = JSON.stringify({
        sync: ctx.sync,
        run_id: ctx.runId,
        batch: ctx.batchNo,
        mode: ctx.mode,
        rows: rows.map((r) => ({ op: r.op, key: r.key, data: jsonRow(r, ctx.columns) })),
      });
      const { status, text } = await post(body, ctx);
      if (status >= 200 && status < 300) return { rejected: rejectedRows(text, rows) };
      const error = `HTTP ${status}: ${bodyStart(text)}`;
      return { rejected: rows.map((r) => ({ key: r.key, error })) };
    },

    close: () => Promise.resolve(),
  };
}

/** Node's fetch says only 'fetch failed'; the reason (ECONNREFUSED …) is in its cause. */
function causeMessage(e: unknown): string {
  const c = e instanceof Error ? e.cause : undefined;
  if (c instanceof Error) return `: ${(c as { code?: string }).code ?? c.message}`;
  return '';
}
