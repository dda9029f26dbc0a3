/**
 * A sync's source as it changes under it: a column whose type changes or that goes away is a clear error
 * (no silent loss), a key that is not one is refused, and a run cut off before the sync was edited is
 * planned anew instead of resumed with the old columns.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isFareboxError } from '../errors/index.ts';
import { openOpsDb, type OpsDb } from '../opsdb/index.ts';
import { migrate, openWarehouse, type Warehouse } from '../warehouse/index.ts';
import { parseSync } from './definition.ts';
import { openDestination, withSyncLease } from './index.ts';
import { runSync } from './run.ts';
import { listRuns } from './state.ts';
import type { SyncDef } from './types.ts';

let dir: string;
let warehouse: Warehouse;
let db: OpsDb;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-sync-run-'));
  warehouse = await openWarehouse({ kind: 'chdb', path: path.join(dir, 'chdb'), database: 'farebox' });
  await migrate(warehouse);
  db = await openOpsDb({ kind: 'pglite', dir: 'memory://' });
});
afterAll(async () => {
  await db.close();
  await warehouse.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let n = 0;
let name: string;
beforeEach(() => {
  n += 1;
  name = `scores_${n}`;
});

const sql = (query: string) => warehouse.client.command({ query });
const def = (extra = ''): SyncDef =>
  parseSync(
    `${name}.yaml`,
    `sync: ${name}\nsource:\n  model: ${name}_src\n  primary_key: [driver_id]\nmode: upsert\ndestination:\n  postgres:\n    table: ${name}\n    create_table: true\n${extra}`,
    { models: [`${name}_src`] },
  );
const run = async (d: SyncDef, options = {}) => {
  const destination = await openDestination(d, { opsDb: db });
  return runSync(d, { warehouse, destination }, options);
};
const caught = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the run to fail');
};

describe('a sync whose source changes', () => {
  it('creates the destination table from the source columns, typed, with the key', async () => {
    await sql(
      `CREATE TABLE ${name}_src (driver_id UInt32, score UInt8, earnings Decimal(12, 2), last_trip Date, seen DateTime64(3, 'UTC'), tier LowCardinality(String), ok Bool) ENGINE = MergeTree ORDER BY driver_id`,
    );
    await sql(
      `INSERT INTO ${name}_src VALUES (7, 81, 1234.5, '2025-01-31', '2025-01-31 23:59:58.250', 'gold', true)`,
    );
    expect(await run(def())).toMatchObject({ added: 1 });
    const [row] = await db.query<Record<string, unknown>>(
      `SELECT driver_id, score, earnings::text AS earnings, last_trip::text AS last_trip, seen, tier, ok FROM ${name}`,
    );
    expect(row).toEqual({
      driver_id: 7,
      score: 81,
      earnings: '1234.50',
      last_trip: '2025-01-31',
      seen: new Date('2025-01-31T23:59:58.250Z'),
      tier: 'gold',
      ok: true,
    });
    const columns = await db.query<{ name: string; type: string }>(
      `SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
      [name],
    );
    expect(columns.map((c) => `${c.name} ${c.type}`)).toEqual([
      'driver_id bigint',
      'score smallint',
      'earnings numeric',
      'last_trip date',
      'seen timestamp with time zone',
      'tier text',
      'ok boolean',
    ]);
  });

  it('refuses a column that changed type, naming it, until told to accept; then sends what changed', async () => {
    await sql(
      `CREATE TABLE ${name}_src (driver_id UInt32, score UInt8) ENGINE = MergeTree ORDER BY driver_id`,
    );
    await sql(`INSERT INTO ${name}_src VALUES (1, 50), (2, 60)`);
    await run(def());
    await sql(`DROP TABLE ${name}_src`);
    await sql(
      `CREATE TABLE ${name}_src (driver_id UInt32, score Float64) ENGINE = MergeTree ORDER BY driver_id`,
    );
    await sql(`INSERT INTO ${name}_src VALUES (1, 50), (2, 60.5)`);
    const e = await caught(run(def()));
    expect(isFareboxError(e, 'sync_schema_changed')).toBe(true);
    expect(String((e as Error).message)).toContain("column 'score' was UInt8 and is now Float64");
    const [refused] = await listRuns(warehouse, name, 1);
    expect(refused?.status).toBe('refused');
    // Every row is sent again under the new type; smallint cannot hold 60.5: that row is rejected, not
    // rounded away.
    const accepted = await run(def(), { acceptSchemaChange: true });
    expect(accepted).toMatchObject({ changed: 1, failed: 1 });
  });

  it('refuses a mapped column that is gone, and a key that is not unique or is NULL', async () => {
    await sql(
      `CREATE TABLE ${name}_src (driver_id Nullable(UInt32), score UInt8) ENGINE = MergeTree ORDER BY tuple()`,
    );
    await sql(`INSERT INTO ${name}_src VALUES (1, 50), (1, 51), (NULL, 3)`);
    const dup = await caught(run(def()));
    expect(isFareboxError(dup, 'sync_invalid')).toBe(true);
    expect(String((dup as Error).message)).toMatch(
      /not unique and non-NULL.*1 on 2 rows.*\(NULL\) on 1 rows/,
    );
    const gone = await caught(run(def('mapping:\n  driver_id: driver_id\n  points: scor\n')));
    expect(isFareboxError(gone, 'sync_schema_changed')).toBe(true);
    expect(String((gone as Error).message)).toContain(
      "'points: scor' names a column the source does not have",
    );
    expect((gone as { hint?: string }).hint).toContain("did you mean 'score'?");
  });

  it('plans anew, instead of resuming, a run cut off before the sync was edited', async () => {
    await sql(
      `CREATE TABLE ${name}_src (driver_id UInt32, score UInt8, tier String) ENGINE = MergeTree ORDER BY driver_id`,
    );
    await sql(`INSERT INTO ${name}_src SELECT number, number % 100, 'gold' FROM numbers(30)`);
    const first = def('batch_rows: 10\nmapping:\n  driver_id: driver_id\n  score: score\n');
    const destination = await openDestination(first, { opsDb: db });
    await expect(
      runSync(first, {
        warehouse,
        destination,
        afterWrite: (b) => {
          if (b === 2) throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    await db.exec(`ALTER TABLE ${name} ADD COLUMN tier text`);
    const edited = def('batch_rows: 10\nmapping:\n  driver_id: driver_id\n  score: score\n  tier: tier\n');
    const result = await run(edited);
    // Batch 1 was recorded: its 10 rows change (tier is new); 20 were never recorded, so they are added.
    expect(result).toMatchObject({ resumed: false, added: 20, changed: 10 });
    const runs = await listRuns(warehouse, name);
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'abandoned']);
    expect(Number((await db.query<{ n: string }>(`SELECT count(tier) AS n FROM ${name}`))[0]?.n)).toBe(30);
  });
});

describe('sync files', () => {
  const parse = (text: string, models = ['driver_scores']) => {
    try {
      parseSync('syncs/x.yaml', text, { models });
    } catch (e) {
      return String((e as Error).message) + ((e as { hint?: string }).hint ?? '');
    }
    return 'ok';
  };
  const base =
    'sync: x\nsource:\n  model: driver_scores\n  primary_key: [driver_id]\nmode: upsert\ndestination:\n  postgres:\n    table: drivers\n';
  it('are checked at load, naming the file and field', () => {
    expect(parse(base)).toBe('ok');
    expect(parse(base.replace('model: driver_scores', 'model: driver_score'))).toMatch(
      /syncs\/x.yaml: source.model 'driver_score' is no model.*did you mean 'driver_scores'/,
    );
    expect(parse(base.replace('mode: upsert', 'mode: merge'))).toMatch(/syncs\/x.yaml: mode: /);
    expect(parse(base + 'send: [deleted]\n')).toMatch(/only mode mirror deletes/);
    expect(parse(base + 'mapping:\n  score: score\n')).toMatch(/primary_key 'driver_id' is not mapped/);
    expect(parse(base.replace('postgres:\n    table: drivers', 'http:\n    url: not a url'))).toMatch(
      /destination.http.url/,
    );
    expect(parse(base + 'extra: 1\n')).toMatch(/Unrecognized key.*extra|extra/);
    expect(
      parse(base.replace('  model: driver_scores\n', '  model: driver_scores\n  sql: select 1\n')),
    ).toMatch(/one of model or sql/);
  });
});

describe('the sync lease', () => {
  it('lets one process run a sync at a time, and frees a dead holder after its time', async () => {
    let release: () => void = () => undefined;
    const holding = withSyncLease(db, 'leased', () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 50));
    const refused = await caught(withSyncLease(db, 'leased', () => Promise.resolve()));
    expect(isFareboxError(refused, 'sync_busy')).toBe(true);
    expect(String((refused as Error).message)).toMatch(/sync leased is running in another process/);
    release();
    await holding;
    await expect(withSyncLease(db, 'leased', () => Promise.resolve('again'))).resolves.toBe('again');
    // A holder that died: its lease ran out, so the next one takes it.
    await db.query(
      "INSERT INTO farebox_sync_leases VALUES ('dead', 'gone:1:x', now() - interval '1 second')",
    );
    await expect(withSyncLease(db, 'dead', () => Promise.resolve('taken'))).resolves.toBe('taken');
  });
});
