/**
 * decode → validate → clean → route. A bad record is a value (a dead letter), never an exception.
 *
 * Batches are decided either on the calling thread or in pre-load worker threads (`workers` > 0), so the
 * sink's thread stays free to poll the log and to insert while the next batch is checked. Records that
 * need I/O first (a claim check to resolve) or are dead on arrival (an import error) are handled here.
 */
import type { PreloadConfig } from '../config/index.ts';
import { importErrorHeader, type EventType } from '../contracts/index.ts';
import { isFareboxError } from '../errors/index.ts';
import type { ConsumedRecord } from '../log/index.ts';
import { checkOutMessage, claimCheckHeader, type ObjectStore } from '../objects/index.ts';
import type { SchemaRegistry } from '../registry/index.ts';
import { decideBatch, encodeTables, packRecords, type DeadVerdict, type DecidedBatch } from './batch.ts';
import { msToDateTime64 } from './convert.ts';
import { decide, peekSchemaId, type Verdict } from './decide.ts';
import { createPreloadPool, type PreloadPool } from './pool.ts';
import { createCompiledSchemas, createSchemaTexts } from './schemas.ts';
import type { DeadLetter, EncodedRows, PreloadedBatch, Routed, Row } from './types.ts';

export interface Preload {
  /** One record. */
  process(record: ConsumedRecord): Promise<Routed>;
  /** Many records, encoded for insert. Throws only when the whole batch cannot proceed (registry down). */
  processBatch(records: readonly ConsumedRecord[]): Promise<PreloadedBatch>;
  close(): Promise<void>;
}

export interface PreloadDeps {
  registry: SchemaRegistry;
  objects: ObjectStore;
  now?: () => number;
}

/** Failures that stop a whole batch (the registry or object store is down) are thrown; bad records are not. */
function isRecordProblem(e: unknown): boolean {
  return isFareboxError(e) && !e.retriable;
}

function deadLetter(record: ConsumedRecord, v: Omit<DeadVerdict, 'index'>, receivedAt: number): DeadLetter {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    event_type: record.topic,
    stage: v.stage,
    reason: v.reason,
    raw_base64: record.value.toString('base64'),
    key: record.key === null ? null : record.key.toString('utf8'),
    headers: record.headers,
    schema_id: v.schemaId,
    event_id: v.eventId,
    received_at: msToDateTime64(receivedAt),
  };
}

type Resolved = { value: Uint8Array } | { verdict: Verdict };

const concatBodies = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.byteLength + 1 + b.byteLength);
  out.set(a);
  out[a.byteLength] = 10;
  out.set(b, a.byteLength + 1);
  return out;
};

export function createPreload(config: PreloadConfig, deps: PreloadDeps): Preload {
  const texts = createSchemaTexts(deps.registry);
  const compiled = createCompiledSchemas();
  const now = deps.now ?? Date.now;
  let pool: PreloadPool | undefined;

  /** The record's message bytes, or its verdict when it is dead before decoding. */
  const resolve = async (record: ConsumedRecord): Promise<Resolved> => {
    const dead = (reason: string): Resolved => ({
      verdict: { ok: false, stage: 'decode', reason, schemaId: null, eventId: null },
    });
    const importError = record.headers[importErrorHeader];
    if (importError !== undefined) return dead(`import: ${importError}`);
    if (record.headers[claimCheckHeader] === undefined) return { value: record.value };
    try {
      return { value: await checkOutMessage(record.value, deps.objects) };
    } catch (e) {
      if (!isRecordProblem(e)) throw e;
      return dead(`claim check: ${(e as Error).message}`);
    }
  };

  const decideHere = async (record: ConsumedRecord, value: Uint8Array, at: number): Promise<Verdict> => {
    const id = peekSchemaId(value);
    if (id !== undefined && !compiled.has(id)) compiled.add(id, await texts.get(id));
    return decide(record, value, at, compiled.get);
  };

  const processOne = async (record: ConsumedRecord, at: number): Promise<Verdict> => {
    const r = await resolve(record);
    return 'verdict' in r ? r.verdict : decideHere(record, r.value, at);
  };

  return {
    async process(record) {
      const at = now();
      const v = await processOne(record, at);
      return v.ok ? v : { ok: false, deadLetter: deadLetter(record, v, at) };
    },

    async processBatch(records) {
      const at = now();
      const loaded = new Array<boolean>(records.length).fill(true);
      const deadLetters: DeadLetter[] = [];
      // Claim checks and import errors here; everything else in one packed batch.
      const packed: { record: ConsumedRecord; value: Uint8Array; index: number }[] = [];
      const here = new Map<EventType, Row[]>();
      let hereMs = 0;
      for (let i = 0; i < records.length; i++) {
        const record = records[i] as ConsumedRecord;
        const plain =
          record.headers[importErrorHeader] === undefined && record.headers[claimCheckHeader] === undefined;
        if (plain) {
          packed.push({ record, value: record.value, index: i });
          continue;
        }
        const started = performance.now();
        const v = await processOne(record, at);
        hereMs += performance.now() - started;
        if (v.ok) {
          const list = here.get(v.type);
          if (list === undefined) here.set(v.type, [v.row]);
          else list.push(v.row);
        } else {
          loaded[i] = false;
          deadLetters.push(deadLetter(record, v, at));
        }
      }
      let decided: DecidedBatch = { tables: [], dead: [], busyMs: 0 };
      if (packed.length > 0) {
        const batch = packRecords(packed, at);
        const ids = new Set<number>();
        for (const p of packed) {
          const id = peekSchemaId(p.value);
          if (id !== undefined) ids.add(id);
        }
        if (config.workers > 0) {
          pool ??= createPreloadPool(config.workers, texts);
          decided = await pool.run(batch, ids);
        } else {
          for (const id of ids) if (!compiled.has(id)) compiled.add(id, await texts.get(id));
          decided = decideBatch(batch, compiled);
        }
      }
      for (const d of decided.dead) {
        const p = packed[d.index];
        if (p === undefined) continue;
        loaded[p.index] = false;
        deadLetters.push(deadLetter(p.record, d, at));
      }
      const tables = new Map<EventType, EncodedRows>(decided.tables.map((t) => [t.type, t]));
      for (const extra of encodeTables(here)) {
        const t = tables.get(extra.type);
        tables.set(
          extra.type,
          t === undefined
            ? extra
            : { ...t, rows: t.rows + extra.rows, body: concatBodies(t.body, extra.body) },
        );
      }
      return { tables: [...tables.values()], deadLetters, loaded, busyMs: decided.busyMs + hereMs };
    },

    async close() {
      await pool?.close();
      pool = undefined;
    },
  };
}
