/** The ttl and clean_objects jobs through the in-process executor, on chDB, the embedded log and a local store. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFareboxError } from '../errors/index.ts';
import type { EventLog } from '../log/index.ts';
import { tempLog } from '../log/testing.ts';
import { createFsObjectStore, type ObjectRef, type ObjectStore } from '../objects/index.ts';
import { dialectFor, migrate, openWarehouse, sqlString, type Warehouse } from '../warehouse/index.ts';
import { createExecutor, type ExecutorDeps } from './execute.ts';
import { parsePipeline } from './pipeline.ts';
import type { Job, Pipeline } from './types.ts';

const group = 'farebox-sink';
let dir: string;
let warehouse: Warehouse;
let log: EventLog;
let closeLog: () => Promise<void>;
let objects: ObjectStore;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-upkeep-'));
  warehouse = await openWarehouse({ kind: 'chdb', path: path.join(dir, 'chdb'), database: 'farebox' });
  await migrate(warehouse);
  ({ log, cleanup: closeLog } = await tempLog());
  await log.ensureTopic({ name: 'driver_document', partitions: 1 });
  objects = await createFsObjectStore({ dir: path.join(dir, 'objects') });
});
afterAll(async () => {
  await objects.close();
  await closeLog();
  await warehouse.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const day = 86_400_000;
const scalar = async (sql: string): Promise<number> => {
  const r = await warehouse.client.query({ query: sql, format: 'JSONEachRow' });
  return Number(Object.values((await r.json<Record<string, unknown>>())[0] ?? {})[0]);
};

/** Runs the pipeline's only job; returns what it logged. */
async function run(jobYaml: string, deps: Partial<ExecutorDeps> = {}): Promise<string[]> {
  const p: Pipeline = parsePipeline(
    'pipelines/p.yaml',
    `pipeline: p\nschedule: { every: 1h }\njobs:\n  - name: upkeep\n${jobYaml}`,
    { models: [] },
  );
  const execute = createExecutor(
    { projectDir: dir, targetSchema: 'farebox', threads: 1, sinkGroup: group },
    { warehouse, log, objects, ...deps },
  );
  const lines: string[] = [];
  await execute(p.jobs[0] as Job, {
    pipeline: p,
    scheduledFor: 0,
    attempt: 1,
    signal: new AbortController().signal,
    log: (l) => lines.push(l),
  });
  return lines;
}

describe('the ttl job', () => {
  const job = '    ttl: { table: raw_vehicle_locations, column: event_time, keep: 90d }\n';

  it('deletes rows older than keep and keeps newer ones; running again changes nothing', async () => {
    const ages = [200, 100, 91, 89, 1, 0];
    await warehouse.client.command({
      query: `INSERT INTO raw_vehicle_locations (event_id, event_time, vehicle_id) VALUES ${ages
        .map((d) => `('e${d}', now64(3) - INTERVAL ${d} DAY, 'v1')`)
        .join(', ')}`,
    });
    expect(await run(job)).toEqual([
      expect.stringMatching(
        /^raw_vehicle_locations: 3 rows with event_time before \S+Z, 0 left after its TTL$/,
      ),
    ]);
    const left = 'SELECT count() FROM raw_vehicle_locations';
    expect(await scalar(left)).toBe(3);
    expect(await run(job)).toEqual([expect.stringMatching(/: 0 rows with event_time before .*, 0 left/)]);
    expect(await scalar(left)).toBe(3);
    expect(
      await scalar("SELECT count() FROM raw_vehicle_locations WHERE event_id IN ('e89', 'e1', 'e0')"),
    ).toBe(3);
    const [table] = await (
      await warehouse.client.query({
        query: "SELECT create_table_query AS q FROM system.tables WHERE name = 'raw_vehicle_locations'",
        format: 'JSONEachRow',
      })
    ).json<{ q: string }>();
    expect(table?.q).toContain('TTL toDateTime(event_time) + toIntervalSecond(7776000)');
  });

  it('refuses a server older than 19.6 before sending it the TTL clause, saying what to do instead', async () => {
    const old = { ...warehouse, dialect: dialectFor('18.16.1') };
    const error = await run(job, { warehouse: old }).catch((e: unknown) => e);
    expect(isFareboxError(error, 'warehouse')).toBe(true);
    expect((error as Error).message).toBe(
      'cannot expire old rows of raw_vehicle_locations: TTL needs ClickHouse ≥ 19.6 and the server runs 18.16.1',
    );
    expect((error as { hint: string }).hint).toMatch(/DROP PARTITION .*DELETE WHERE event_time/);
  });

  it('says the same when a server refuses the TTL clause', async () => {
    const refusing = Object.create(warehouse.client, {
      command: {
        value: () =>
          Promise.reject(
            new Error(
              'Syntax error: failed at position 41: TTL toDateTime(event_time) + INTERVAL 7776000 SECOND. Expected one of: COLUMN, PRIMARY KEY, ORDER BY',
            ),
          ),
      },
    }) as Warehouse['client'];
    const server = { ...warehouse, dialect: dialectFor('19.1.0-custom'), client: refusing };
    await expect(run(job, { warehouse: server })).rejects.toThrow(
      /raw_vehicle_locations: TTL needs ClickHouse ≥ 19.6/,
    );
  });
});

describe('the clean_objects job', () => {
  const put = async (text: string, ageMs: number): Promise<ObjectRef> => {
    const ref = await objects.put(Buffer.from(text), 'image/jpeg');
    const at = new Date(Date.now() - ageMs);
    fs.utimesSync(fileURLToPath(ref.url), at, at);
    return ref;
  };
  const exists = (ref: ObjectRef): Promise<boolean> => objects.has(ref.sha256);
  const wire = (payload: object): string =>
    Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), Buffer.from(JSON.stringify(payload))]).toString('base64');
  const deadLetter = (offset: number, rawBase64: string, headers = 'map()'): Promise<unknown> =>
    warehouse.client.command({
      query: `INSERT INTO dead_letters (topic, partition, offset, event_type, stage, reason, raw_base64, headers, received_at)
              VALUES ('driver_document', 0, ${offset}, 'driver_document', 'validate', 'bad', ${sqlString(rawBase64)}, ${headers}, now64(3))`,
    });

  it('deletes an old orphan only, never while the sink has documents to load', async () => {
    const orphan = await put('gateway crashed before producing', 2 * day);
    const loaded = await put('licence of a loaded row', 2 * day);
    const dead = await put('licence of a dead letter', 2 * day);
    const fresh = await put('upload under way', 60_000);
    // A claim-checked dead letter: its bytes are the reference to the whole message, which holds the field's.
    const inner = await put('insurance inside a claimed message', 2 * day);
    const message = await put(`\0\0\0\0\x01${JSON.stringify({ document: inner })}`, 2 * day);
    await warehouse.client.command({
      query: `INSERT INTO raw_driver_documents (event_id, driver_id, document_url, document_sha256)
              VALUES ('d1', 'driver-1', ${sqlString(loaded.url)}, ${sqlString(loaded.sha256)})`,
    });
    await deadLetter(1, wire({ driver_id: 'driver-2', document: dead }));
    await deadLetter(
      2,
      Buffer.from(JSON.stringify(message)).toString('base64'),
      "map('farebox-claim-check', '900000')",
    );
    const everyone = [orphan, loaded, dead, fresh, inner, message];

    const dry = await run('    clean_objects: { dry_run: true }\n');
    expect(dry).toEqual([
      expect.stringMatching(new RegExp(`^would delete ${orphan.sha256} \\(32 bytes, stored \\S+\\)$`)),
      '5 objects older than 86400 s, 4 of them referenced; would delete 1, 32 bytes to free',
    ]);
    for (const ref of everyone) expect(await exists(ref)).toBe(true);

    await log.produce('driver_document', [{ key: null, value: Buffer.from('a document on its way') }]);
    const behind = await run('    clean_objects:\n').catch((e: unknown) => e);
    expect(isFareboxError(behind, 'stale')).toBe(true);
    expect((behind as Error).message).toBe(
      'the sink is behind on driver_document: 1 record produced but not loaded yet may reference objects, so no object was deleted',
    );
    expect(await exists(orphan)).toBe(true);

    await log.commitOffsets(group, [{ topic: 'driver_document', partition: 0, offset: 1 }]);
    expect(await run('    clean_objects: { min_age: 1d }\n')).toEqual([
      '5 objects older than 86400 s, 4 of them referenced; deleted 1, 32 bytes freed',
    ]);
    expect(await exists(orphan)).toBe(false);
    for (const ref of everyone.slice(1)) expect(await exists(ref)).toBe(true);
    expect(await run('    clean_objects:\n')).toEqual([
      '4 objects older than 86400 s, 4 of them referenced; deleted 0, 0 bytes freed',
    ]);
    // The scratch tables are gone.
    expect(await scalar("SELECT count() FROM system.tables WHERE name LIKE 'clean_objects_%'")).toBe(0);
  });

  it('needs the log and the object store', async () => {
    const p = run('    clean_objects:\n', { objects: undefined });
    await expect(p).rejects.toSatisfy((e) => isFareboxError(e, 'internal'));
  });
});
