/**
 * The in-process executor on chDB: optimize and freshness jobs (transform jobs: test/orchestrate.test.ts;
 * ttl and clean_objects jobs: upkeep.test.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWarehouse, type Warehouse } from '../warehouse/index.ts';
import { createExecutor } from './execute.ts';
import { parsePipeline } from './pipeline.ts';
import type { Pipeline } from './types.ts';

let dir: string;
let warehouse: Warehouse;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-execute-'));
  warehouse = await openWarehouse({ kind: 'chdb', path: path.join(dir, 'chdb'), database: 'farebox' });
  await warehouse.client.command({
    query:
      'CREATE TABLE farebox.events (id UInt32, at DateTime64(3)) ENGINE = ReplacingMergeTree ORDER BY id',
  });
});
afterAll(async () => {
  await warehouse.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const pipeline = (jobs: string): Pipeline =>
  parsePipeline('p.yaml', `pipeline: p\nschedule: { every: 1h }\njobs:\n${jobs}`, { models: [] });
const scalar = async (sql: string): Promise<number> => {
  const r = await warehouse.client.query({ query: sql, format: 'JSONEachRow' });
  return Number(Object.values((await r.json<Record<string, unknown>>())[0] ?? {})[0]);
};

describe('the executor', () => {
  it('optimizes tables FINAL: a re-sent row replaced in another part is gone without FINAL', async () => {
    await warehouse.client.command({ query: "INSERT INTO farebox.events VALUES (1, '2026-01-01 00:00:00')" });
    await warehouse.client.command({ query: "INSERT INTO farebox.events VALUES (1, '2026-01-01 00:00:01')" });
    expect(await scalar('SELECT count() FROM farebox.events')).toBe(2);
    const p = pipeline('  - name: merge\n    optimize: { tables: [events], final: true }\n');
    const lines: string[] = [];
    const execute = createExecutor({ projectDir: dir, targetSchema: 'farebox', threads: 1 }, { warehouse });
    await execute(p.jobs[0] as Pipeline['jobs'][number], {
      pipeline: p,
      scheduledFor: 0,
      attempt: 1,
      signal: new AbortController().signal,
      log: (l) => lines.push(l),
    });
    expect(await scalar('SELECT count() FROM farebox.events')).toBe(1);
    expect(lines[0]).toMatch(/^optimized events FINAL in \d+ ms$/);
    const missing = pipeline('  - name: merge\n    optimize: { tables: [nowhere] }\n');
    await expect(
      execute(missing.jobs[0] as Pipeline['jobs'][number], {
        pipeline: missing,
        scheduledFor: 0,
        attempt: 1,
        signal: new AbortController().signal,
        log: () => undefined,
      }),
    ).rejects.toThrow(/OPTIMIZE TABLE nowhere failed: Table .*nowhere.* does not exist/);
  });

  it('passes a freshness check under the limit and fails one over it, saying how old the table is', async () => {
    const now = Date.UTC(2026, 0, 1, 0, 10, 0);
    const p = pipeline(
      '  - name: fresh\n    freshness: { table: events, column: at, max_age: 15m }\n  - name: stale\n    freshness: { table: events, column: at, max_age: 5m }\n',
    );
    const execute = createExecutor(
      { projectDir: dir, targetSchema: 'farebox', threads: 1 },
      { warehouse, now: () => now },
    );
    const ctx = {
      pipeline: p,
      scheduledFor: 0,
      attempt: 1,
      signal: new AbortController().signal,
      log: () => undefined,
    };
    await execute(p.jobs[0] as Pipeline['jobs'][number], ctx);
    await expect(execute(p.jobs[1] as Pipeline['jobs'][number], ctx)).rejects.toThrow(
      /events is 599 s old \(newest at 2026-01-01T00:00:01.000Z\), over its 300 s limit/,
    );
  });
});
