import { describe, expect, it } from 'vitest';
import { contracts } from '../contracts/index.ts';
import type { ConsumedRecord, EventLog } from '../log/index.ts';
import { describeRegistryContract } from './contract-suite.ts';
import { createLogRegistry } from './log-registry.ts';
import { applyRecord, proposalRecord, withdrawnRecord } from './log-state.ts';
import { createModel } from './model.ts';
import { parseSchema } from './schema-format.ts';
import { tempLog } from './testing.ts';

describeRegistryContract('log-backed (embedded log)', async () => {
  const { log, cleanup } = await tempLog();
  return { registry: await createLogRegistry({}, { log }), cleanup };
});

const objectSchema = (field: string) =>
  JSON.stringify({ type: 'object', properties: { [field]: { type: 'string' } }, required: [] });

async function readAll(log: EventLog, topic = '_schemas'): Promise<ConsumedRecord[]> {
  const end = (await log.endOffsets(topic))[0] ?? 0;
  const c = await log.consumer({ group: `read-all-${Math.random()}`, topics: [topic] });
  const out: ConsumedRecord[] = [];
  while (out.length < end) out.push(...(await c.poll({ maxRecords: 1000, timeoutMs: 200 })));
  await c.close();
  return out;
}

/** What Kafka's log compaction keeps: the last record of each key. */
const compact = (records: ConsumedRecord[]): ConsumedRecord[] => {
  const last = new Map(records.map((r) => [r.key?.toString() ?? '', r.offset]));
  return records.filter((r) => last.get(r.key?.toString() ?? '') === r.offset);
};

const replay = (records: ConsumedRecord[]) => {
  const model = createModel();
  for (const r of records) applyRecord(model, r.value);
  return model.toFile();
};

describe('log-backed registry', () => {
  it('two instances over one log agree on ids under concurrent registration', async () => {
    const { log, cleanup } = await tempLog();
    const a = await createLogRegistry({}, { log });
    const b = await createLogRegistry({}, { log });
    const fields = Array.from({ length: 8 }, (_, i) => `f${i}`);
    // Both register the same schemas under the same subjects, and each its own under shared subjects.
    const results = await Promise.all(
      fields.flatMap((f, i) => [
        a.register(`same-${i}-value`, objectSchema(f)),
        b.register(`same-${i}-value`, objectSchema(f)),
        a.register('shared-value', objectSchema(`a_${f}`)),
        b.register('shared-value', objectSchema(`b_${f}`)),
        b.register(`other-${i}-value`, objectSchema(f)),
      ]),
    );
    for (let i = 0; i < fields.length; i++) {
      const [fromA, fromB, , , other] = results.slice(i * 5, i * 5 + 5);
      expect(fromB).toEqual(fromA);
      expect(other?.id).toBe(fromA?.id);
    }
    const shared = await a.listVersions('shared-value');
    expect(shared).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    const ids = new Set(results.map((r) => r.id));
    expect(ids.size).toBe(8 + 16);
    for (const r of results) {
      expect(await b.getById(r.id)).toEqual(await a.getById(r.id));
      expect((await a.getById(r.id)).schema).toBe(r.schema);
    }
    // A third process replaying the topic from scratch arrives at the same state.
    const c = await createLogRegistry({}, { log });
    for (const s of await a.listSubjects())
      for (const v of await a.listVersions(s))
        expect(await c.getVersion(s, v)).toEqual(await a.getVersion(s, v));
    const records = await readAll(log);
    // The two raced: some proposals lost and were withdrawn, and compaction changes nothing.
    expect(records.some((r) => r.value.toString().includes('"withdrawn"'))).toBe(true);
    expect(replay(compact(records))).toEqual(replay(records));
    await Promise.all([a.close(), b.close(), c.close()]);
    await cleanup();
  });

  it('reads its own writes and others’ (config, deletes) after catching up', async () => {
    const { log, cleanup } = await tempLog();
    const a = await createLogRegistry({}, { log });
    const b = await createLogRegistry({}, { log });
    const [v1, v2] = contracts.trip_completed.versions;
    await a.register('trips-value', v1?.schemaText ?? '');
    await b.register('trips-value', v2?.schemaText ?? '');
    await a.setCompatibility('FULL', 'trips-value');
    expect(await b.getCompatibility('trips-value')).toBe('FULL');
    expect(await b.getSubjectCompatibility('other')).toBeUndefined();
    expect(await b.deleteVersion('trips-value', 1)).toBe(1);
    expect(await a.listVersions('trips-value')).toEqual([2]);
    expect(await a.listVersions('trips-value', { deleted: true })).toEqual([1, 2]);
    expect(await a.deleteVersion('trips-value', 1, true)).toBe(1);
    expect(await b.listVersions('trips-value', { deleted: true })).toEqual([2]);
    expect(await b.deleteCompatibility('trips-value')).toBe('FULL');
    expect(await a.getCompatibility('trips-value')).toBe('BACKWARD');
    // Version numbers are never given out twice, even after a permanent delete.
    await a.setCompatibility('NONE', 'trips-value');
    expect((await b.register('trips-value', v1?.schemaText ?? '')).version).toBe(3);
    const records = await readAll(log);
    expect(replay(compact(records))).toEqual(replay(records));
    await Promise.all([a.close(), b.close()]);
    await cleanup();
  });

  it('decides conflicting proposals by log order, and compaction keeps that decision once losers withdraw', () => {
    const x = parseSchema(objectSchema('x'), 'JSON');
    const y = parseSchema(objectSchema('y'), 'JSON');
    const base = { subject: 's', version: 1, id: 1, schemaType: 'JSON' as const };
    const first = proposalRecord({ ...base, schema: objectSchema('x'), canonical: x.canonical });
    const rival = proposalRecord({ ...base, schema: objectSchema('y'), canonical: y.canonical });
    const retry = proposalRecord({
      ...base,
      version: 2,
      id: 2,
      schema: objectSchema('y'),
      canonical: y.canonical,
    });
    const model = createModel();
    expect([first, rival].map((r) => applyRecord(model, r.value))).toEqual([true, false]);
    const withdrawn = withdrawnRecord(rival.key as Buffer);
    const records = [first, rival, withdrawn, retry].map((r, offset): ConsumedRecord => ({
      ...r,
      topic: '_schemas',
      partition: 0,
      offset,
      timestamp: 0,
      headers: {},
    }));
    const full = replay(records);
    expect(full.subjects.s?.versions.map((v) => [v.version, v.id])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(compact(records)).toHaveLength(3);
    expect(replay(compact(records))).toEqual(full);
  });

  it('refuses a topic with more than one partition', async () => {
    const { log, cleanup } = await tempLog();
    await log.ensureTopic({ name: 'many', partitions: 3 });
    await expect(createLogRegistry({ topic: 'many' }, { log })).rejects.toThrow(
      /exactly one partition|3 partitions/,
    );
    await cleanup();
  });
});
