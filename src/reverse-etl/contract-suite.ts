/**
 * What every destination must do with a sync, written once and run against each (PGlite, PostgreSQL,
 * an HTTP receiver that fails some requests): each mode leaves the destination equal to what it should
 * hold, a second run sends only the changed rows, refused rows are recorded and the rest goes on, and a
 * crash between batches or after a batch is applied but before it is recorded is resumed with no row
 * lost or applied twice.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { migrate, type Warehouse } from '../warehouse/index.ts';
import { parseSync } from './definition.ts';
import { listRuns } from './state.ts';
import { runSync } from './run.ts';
import type { Destination, SyncDef, SyncMode } from './types.ts';

export type Held = Map<string, Record<string, string | null>>;

export interface DestinationHarness {
  /** The `destination:` YAML block for a fresh target named `target`. */
  destinationYaml(target: string): string;
  /**
   * Makes the target ready before the first run: a table whose rows can be updated (`update` mode needs
   * rows to exist: `existing` keys are created with empty values) and that refuses rows whose note is
   * 'REJECT'.
   */
  setUp(target: string, existing: number[]): Promise<void>;
  open(def: SyncDef): Promise<Destination>;
  /** What the target holds: driver_id → column → text (numbers and dates as text). */
  read(target: string): Promise<Held>;
}

interface SourceRow {
  driver_id: number;
  score: number;
  tier: string;
  earnings: string;
  note: string | null;
}

const rowsOf = (n: number, f: (i: number) => Partial<SourceRow> = () => ({})): SourceRow[] =>
  Array.from({ length: n }, (_, i) => ({
    driver_id: i + 1,
    score: (i * 7) % 100,
    tier: ['gold', 'silver', 'bronze'][i % 3] as string,
    earnings: `${100 + i}.50`,
    // Text with COPY's separators and escapes in it, and NULLs.
    note: i % 5 === 0 ? null : i === 2 ? 'tab\there\nnew line \\N back\\slash \r' : `n${i}`,
    ...f(i),
  }));

export function describeDestinationContract(
  name: string,
  setup: () => { warehouse: () => Warehouse; harness: () => DestinationHarness },
): void {
  describe(`reverse ETL into ${name}`, () => {
    const ctx = setup();
    let target: string;
    let counter = 0;
    beforeEach(async () => {
      counter += 1;
      target = `sync_target_${Date.now() % 100000}_${counter}`;
      await migrate(ctx.warehouse());
    });

    async function source(rows: SourceRow[]): Promise<void> {
      const { client } = ctx.warehouse();
      await client.command({ query: `DROP TABLE IF EXISTS src_${target}` });
      await client.command({
        query: `CREATE TABLE src_${target} (driver_id UInt32, score UInt8, tier String, earnings Decimal(12, 2), note Nullable(String)) ENGINE = MergeTree ORDER BY driver_id`,
      });
      if (rows.length > 0)
        await client.insert({
          table: `src_${target}`,
          // Numbers, not text: the old ClickHouse server reads no quoted decimals.
          values: rows.map((r) => ({ ...r, earnings: Number(r.earnings) })),
          format: 'JSONEachRow',
        });
    }

    const def = (mode: SyncMode, extra = ''): SyncDef =>
      parseSync(
        `${target}.yaml`,
        `sync: ${target}\nsource:\n  sql: SELECT * FROM src_${target}\n  primary_key: [driver_id]\nmode: ${mode}\nbatch_rows: 40\nmapping:\n  driver_id: driver_id\n  score: score\n  tier: tier\n  earnings: earnings\n  note: note\n${ctx.harness().destinationYaml(target)}${extra}`,
        { models: [] },
      );

    async function run(d: SyncDef, afterWrite?: (batch: number) => void) {
      const destination = await ctx.harness().open(d);
      try {
        return await runSync(d, {
          warehouse: ctx.warehouse(),
          destination,
          ...(afterWrite ? { afterWrite } : {}),
        });
      } finally {
        await destination.close();
      }
    }

    const expected = (rows: SourceRow[]): Held =>
      new Map(
        rows.map((r) => [
          String(r.driver_id),
          {
            driver_id: String(r.driver_id),
            score: String(r.score),
            tier: r.tier,
            earnings: String(Number(r.earnings)),
            note: r.note,
          },
        ]),
      );
    /** Numbers compared as numbers, whatever text the destination prints them as. */
    const normal = (held: Held): Held =>
      new Map(
        [...held].map(([k, v]) => [
          k,
          {
            ...v,
            earnings: v.earnings === null || v.earnings === undefined ? null : String(Number(v.earnings)),
          },
        ]),
      );

    it('upsert: the first run sends every row, the next only the changed and new ones', async () => {
      await ctx.harness().setUp(target, []);
      const rows = rowsOf(100);
      await source(rows);
      const first = await run(def('upsert'));
      expect(first).toMatchObject({ added: 100, changed: 0, deleted: 0, failed: 0, batches: 3 });
      expect(normal(await ctx.harness().read(target))).toEqual(expected(rows));

      const next = rowsOf(103, (i) => (i % 10 === 3 ? { score: 99, note: null } : {}));
      await source(next);
      const second = await run(def('upsert'));
      expect(second).toMatchObject({ added: 3, changed: 10, deleted: 0, failed: 0, batches: 1 });
      expect(normal(await ctx.harness().read(target))).toEqual(expected(next));

      const third = await run(def('upsert'));
      expect(third).toMatchObject({ added: 0, changed: 0, deleted: 0, batches: 0 });
      const runs = await listRuns(ctx.warehouse(), target);
      expect(runs.map((r) => [r.status, r.added, r.changed])).toEqual([
        ['succeeded', 0, 0],
        ['succeeded', 3, 10],
        ['succeeded', 100, 0],
      ]);
    });

    it('mirror: rows gone from the source are deleted; upsert keeps them', async () => {
      await ctx.harness().setUp(target, []);
      await source(rowsOf(50));
      await run(def('mirror'));
      const kept = rowsOf(50).filter((r) => r.driver_id % 4 !== 0);
      await source(kept);
      expect(await run(def('mirror'))).toMatchObject({ added: 0, changed: 0, deleted: 12 });
      expect(normal(await ctx.harness().read(target))).toEqual(expected(kept));
      // A key that comes back is added again.
      await source(rowsOf(50));
      expect(await run(def('mirror'))).toMatchObject({ added: 12, deleted: 0 });
      expect(normal(await ctx.harness().read(target))).toEqual(expected(rowsOf(50)));
    });

    it('insert: new rows only; a changed row is not sent', async () => {
      await ctx.harness().setUp(target, []);
      await source(rowsOf(20));
      await run(def('insert'));
      await source(rowsOf(25, (i) => (i === 0 ? { score: 1 } : {})));
      expect(await run(def('insert'))).toMatchObject({ added: 5, changed: 0, skipped: 1 });
      const held = normal(await ctx.harness().read(target));
      expect(held.size).toBe(25);
      expect(held.get('1')?.score).toBe('0');
    });

    it('update: existing rows change; a row the destination lacks is rejected, the rest goes on', async () => {
      await ctx.harness().setUp(target, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const rows = rowsOf(10);
      await source(rows);
      const result = await run(def('update'));
      expect(result).toMatchObject({ added: 9, failed: 1 });
      const held = normal(await ctx.harness().read(target));
      expect(held.get('3')).toEqual(expected(rows).get('3'));
      expect(held.has('10')).toBe(false);
    });

    it('a refused row is recorded with its reason, the rest is applied, and it is tried again next run', async () => {
      await ctx.harness().setUp(target, []);
      const rows = rowsOf(100, (i) => (i === 41 || i === 77 ? { note: 'REJECT' } : {}));
      await source(rows);
      const result = await run(def('upsert'));
      expect(result).toMatchObject({ added: 98, failed: 2 });
      const held = normal(await ctx.harness().read(target));
      expect(held.size).toBe(98);
      expect(held.has('42')).toBe(false);
      const r = await ctx.warehouse().client.query({
        query: `SELECT key, error FROM sync_rejects WHERE sync = '${target}' ORDER BY key`,
        format: 'JSONEachRow',
      });
      const rejects = await r.json<{ key: string; error: string }>();
      expect(rejects.map((x) => x.key)).toEqual(['42', '78']);
      expect(rejects[0]?.error).not.toBe('');
      // Fixed in the source: the next run sends them (and only them).
      await source(rowsOf(100));
      expect(await run(def('upsert'))).toMatchObject({ added: 2, changed: 0, failed: 0 });
      expect(normal(await ctx.harness().read(target))).toEqual(expected(rowsOf(100)));
    });

    it('a crash between batches is resumed: same run, nothing lost, nothing applied twice', async () => {
      await ctx.harness().setUp(target, []);
      const rows = rowsOf(150);
      await source(rows);
      await expect(
        run(def('insert'), (batch) => {
          if (batch === 3) throw new Error('crash after the destination took batch 3');
        }),
      ).rejects.toThrow(/crash/);
      // Batch 3 was applied but not recorded; insert mode would refuse it as a duplicate if sent again.
      const resumed = await run(def('insert'));
      expect(resumed).toMatchObject({ resumed: true, added: 150, failed: 0, batches: 4 });
      expect(normal(await ctx.harness().read(target))).toEqual(expected(rows));
      const runs = await listRuns(ctx.warehouse(), target);
      expect(runs).toHaveLength(1);
      expect(runs[0]?.status).toBe('succeeded');
    });
  });
}
