/**
 * Object-store upkeep: deletes the objects nothing references any more (the gateway stored the bytes,
 * then crashed before producing the record that names them).
 *
 * An object is kept when it is younger than the minimum age, when a raw_driver_documents row names it,
 * when its sha256 appears in a dead letter's bytes (a dead letter may be replayed) or in the message a
 * claim-checked dead letter points to; and nothing is deleted while the sink has document records still
 * to load, or when documents were produced while the job ran. Only the candidates cross into ClickHouse
 * (scratch Memory tables, in chunks), where the set difference is taken: the referenced set is never held
 * in this process.
 */
import { randomUUID } from 'node:crypto';
import { contracts } from '../contracts/index.ts';
import { FareboxError, isFareboxError } from '../errors/index.ts';
import type { EventLog } from '../log/index.ts';
import { claimCheckHeader, type ObjectRef, type ObjectStore, type StoredObject } from '../objects/index.ts';
import { sqlString, type Warehouse } from '../warehouse/index.ts';

async function rows<T>(warehouse: Warehouse, query: string): Promise<T[]> {
  return (await warehouse.client.query({ query, format: 'JSONEachRow' })).json<T>();
}

export interface CleanObjectsOptions {
  /** Objects stored more recently than this are kept whatever references them (an upload under way). */
  minAgeMs: number;
  dryRun: boolean;
  /** The sink's consumer group: its lag on the document topic is records that may reference objects. */
  sinkGroup: string;
  now: number;
  /** Each object deleted, or that a dry run would delete. */
  onOrphan?: (object: StoredObject) => void;
}

export interface CleanedObjects {
  /** Objects older than the minimum age. */
  candidates: number;
  /** Of those, the ones a row or a dead letter references. */
  referenced: number;
  /** Deleted (a dry run: would be deleted), and their bytes. */
  deleted: number;
  bytes: number;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const hex64 = /[0-9a-f]{64}/g;
const chunk = 10_000;

/** End offsets of the document topic, refusing when the sink has not committed up to them. */
async function caughtUp(log: EventLog, group: string, topic: string): Promise<number[]> {
  let end: number[];
  try {
    end = await log.endOffsets(topic);
  } catch (e) {
    if (isFareboxError(e, 'topic_unknown')) return [];
    throw e;
  }
  const committed = await log.committedOffsets(group, topic);
  const lag = sum(end.map((e, i) => Math.max(0, e - (committed[i] ?? 0))));
  if (lag > 0)
    throw new FareboxError(
      'stale',
      `the sink is behind on ${topic}: ${lag} record${lag === 1 ? '' : 's'} produced but not loaded yet may reference objects, so no object was deleted`,
      {
        retriable: true,
        where: `consumer group ${group}`,
        hint: 'run it again once the sink has caught up (farebox status shows the lag)',
      },
    );
  return end;
}

/** Appends rows to a scratch table, `chunk` at a time. */
function appender(warehouse: Warehouse, table: string, columns: string[]) {
  let pending: unknown[][] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const body = new TextEncoder().encode(pending.map((r) => JSON.stringify(r)).join('\n'));
    pending = [];
    await warehouse.insertEncoded({ table, columns, body });
  };
  return {
    flush,
    async add(row: unknown[]): Promise<void> {
      pending.push(row);
      if (pending.length >= chunk) await flush();
    },
  };
}

/**
 * The sha256s inside the messages that claim-checked dead letters point to: such a dead letter holds only
 * the reference to its whole message, whose fields hold the references to their objects.
 */
async function claimedRefs(
  warehouse: Warehouse,
  objects: ObjectStore,
  add: (sha256: string) => Promise<void>,
): Promise<void> {
  const claimed =
    warehouse.dialect.name === 'legacy'
      ? `headers LIKE ${sqlString(`%"${claimCheckHeader}"%`)}`
      : `headers[${sqlString(claimCheckHeader)}] != ''`;
  for (const { raw_base64 } of await rows<{ raw_base64: string }>(
    warehouse,
    `SELECT raw_base64 FROM dead_letters WHERE ${claimed}`,
  )) {
    let ref: Partial<ObjectRef> | null;
    try {
      ref = JSON.parse(Buffer.from(raw_base64, 'base64').toString('utf8')) as Partial<ObjectRef> | null;
    } catch {
      continue;
    }
    if (typeof ref?.sha256 !== 'string' || typeof ref.size !== 'number') continue;
    let message: Buffer;
    try {
      message = await objects.get(ref as ObjectRef);
    } catch (e) {
      if (isFareboxError(e, 'object_missing') || isFareboxError(e, 'object_hash_mismatch')) continue;
      throw e;
    }
    for (const [sha256] of message.toString('latin1').matchAll(hex64)) await add(sha256);
  }
}

async function refuseWithoutBase64Decode(warehouse: Warehouse): Promise<void> {
  if (warehouse.dialect.name !== 'legacy') return;
  try {
    await rows(warehouse, "SELECT base64Decode('') AS x");
  } catch (e) {
    throw new FareboxError(
      'warehouse',
      `ClickHouse ${warehouse.dialect.version} has no base64Decode, which cleaning objects needs to read the references in dead letters`,
      { cause: e, hint: 'upgrade the ClickHouse server (22.8 or later), or run without a clean_objects job' },
    );
  }
}

/**
 * Deletes objects older than `minAgeMs` that nothing references. Refuses (a retriable `stale` error)
 * while the sink has document records still to load, and when documents were produced while it ran.
 */
export async function cleanObjects(
  deps: { warehouse: Warehouse; log: EventLog; objects: ObjectStore },
  options: CleanObjectsOptions,
): Promise<CleanedObjects> {
  const { warehouse, log, objects } = deps;
  const topic = contracts.driver_document.topic;
  await refuseWithoutBase64Decode(warehouse);
  const end = await caughtUp(log, options.sinkGroup, topic);
  const scratch = `clean_objects_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const [candidates, refs, orphans] = ['candidates', 'refs', 'orphans'].map((t) => `${scratch}_${t}`) as [
    string,
    string,
    string,
  ];
  const objectColumns = '(sha256 String, size UInt64, modified_at UInt64)';
  try {
    for (const [table, columns] of [
      [candidates, objectColumns],
      [refs, '(sha256 String)'],
      [orphans, objectColumns],
    ])
      await warehouse.client.command({ query: `CREATE TABLE ${table} ${columns} ENGINE = Memory` });
    const cutoff = options.now - options.minAgeMs;
    const candidate = appender(warehouse, candidates, ['sha256', 'size', 'modified_at']);
    let count = 0;
    for await (const o of objects.list())
      if (o.modifiedAt < cutoff) {
        count++;
        await candidate.add([o.sha256, o.size, o.modifiedAt]);
      }
    await candidate.flush();
    const result = { candidates: count, referenced: 0, deleted: 0, bytes: 0 };
    if (count === 0) return result;

    const ref = appender(warehouse, refs, ['sha256']);
    await claimedRefs(warehouse, objects, (sha256) => ref.add([sha256]));
    await ref.flush();
    await warehouse.client.command({
      query: `INSERT INTO ${orphans} SELECT sha256, size, modified_at FROM ${candidates}
              WHERE sha256 NOT IN (SELECT toString(document_sha256) FROM raw_driver_documents)
                AND sha256 NOT IN (SELECT arrayJoin(extractAll(base64Decode(raw_base64), '[0-9a-f]{64}')) FROM dead_letters)
                AND sha256 NOT IN (SELECT sha256 FROM ${refs})`,
    });
    const [found] = await rows<{ n: string }>(warehouse, `SELECT count() AS n FROM ${orphans}`);
    result.referenced = count - Number(found?.n ?? 0);

    // A document produced since the start may name any of these (its bytes stored long ago, put again).
    const endNow = await caughtUp(log, options.sinkGroup, topic);
    if (endNow.some((offset, i) => offset !== end[i]))
      throw new FareboxError(
        'stale',
        `driver documents were produced on ${topic} while objects were being cleaned, so no object was deleted`,
        { retriable: true, hint: 'run it again' },
      );
    let after = '';
    for (;;) {
      const page = await rows<{ sha256: string; size: string; modified_at: string }>(
        warehouse,
        `SELECT sha256, size, modified_at FROM ${orphans} WHERE sha256 > ${sqlString(after)} ORDER BY sha256 LIMIT 1000`,
      );
      for (const o of page) {
        if (!options.dryRun) await objects.delete(o.sha256);
        result.deleted++;
        result.bytes += Number(o.size);
        options.onOrphan?.({ sha256: o.sha256, size: Number(o.size), modifiedAt: Number(o.modified_at) });
      }
      const last = page.at(-1);
      if (last === undefined) break;
      after = last.sha256;
    }
    return result;
  } finally {
    // A failed drop leaves an empty scratch table; it must not hide what went wrong before it.
    for (const table of [candidates, refs, orphans])
      await warehouse.client.command({ query: `DROP TABLE IF EXISTS ${table}` }).catch(() => undefined);
  }
}
