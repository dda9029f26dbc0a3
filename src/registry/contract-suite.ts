/** The behaviour every schema registry must have: embedded, log-backed, and the HTTP client against our REST service. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contracts } from '../contracts/index.ts';
import { isFareboxError } from '../errors/index.ts';
import type { RegisteredSchema, SchemaRegistry } from './types.ts';

const schema = (props: Record<string, unknown>, required: string[]) =>
  JSON.stringify({ type: 'object', properties: props, required });

export function describeRegistryContract(
  name: string,
  make: () => Promise<{ registry: SchemaRegistry; cleanup: () => Promise<void> }>,
): void {
  describe(`schema registry contract: ${name}`, () => {
    let registry: SchemaRegistry;
    let cleanup: () => Promise<void>;
    const subject = () => `test-${randomUUID()}-value`;
    beforeAll(async () => {
      ({ registry, cleanup } = await make());
    });
    afterAll(async () => {
      await registry.close();
      await cleanup();
    });

    it('registers versions with global ids, idempotently', async () => {
      const s = subject();
      const [v1, v2] = contracts.trip_completed.versions;
      const a = await registry.register(s, v1?.schemaText ?? '');
      const b = await registry.register(s, v2?.schemaText ?? '');
      expect([a.version, b.version]).toEqual([1, 2]);
      expect(b.id).not.toBe(a.id);
      expect(await registry.register(s, v1?.schemaText ?? '')).toMatchObject({ id: a.id, version: 1 });
      expect((await registry.getById(b.id)).schema).toBe(v2?.schemaText);
      expect(await registry.getVersion(s, 'latest')).toMatchObject({ id: b.id, version: 2 });
      expect(await registry.listVersions(s)).toEqual([1, 2]);
      expect(await registry.listSubjects()).toContain(s);
      expect(await registry.lookup(s, v2?.schemaText ?? '')).toMatchObject({ version: 2 });
    });

    it('gives the same schema the same id under another subject', async () => {
      const text = schema({ a: { type: 'string' } }, ['a']);
      const x = await registry.register(subject(), text);
      const y = await registry.register(subject(), text);
      expect(y.id).toBe(x.id);
    });

    it('refuses an incompatible change under BACKWARD, naming the field', async () => {
      const s = subject();
      await registry.register(
        s,
        schema({ fare: { type: 'number' }, zone: { type: 'integer' } }, ['fare', 'zone']),
      );
      const check = await registry.checkCompatibility(
        s,
        schema({ fare: { type: 'string' }, zone: { type: 'integer' } }, ['fare', 'zone']),
      );
      expect(check.compatible).toBe(false);
      expect(check.messages.join()).toContain("field 'fare': type changed from number to string");
      await expect(registry.register(s, schema({ fare: { type: 'number' } }, ['fare']))).rejects.toSatisfy(
        (e) =>
          isFareboxError(e, 'schema_incompatible') &&
          e.message.includes("field 'zone': required field removed"),
      );
      expect(await registry.listVersions(s)).toEqual([1]);
    });

    it('follows the compatibility level per subject', async () => {
      const s = subject();
      await registry.register(s, schema({ a: { type: 'number' } }, ['a']));
      await registry.setCompatibility('NONE', s);
      expect(await registry.getCompatibility(s)).toBe('NONE');
      expect((await registry.register(s, schema({ a: { type: 'string' } }, ['a']))).version).toBe(2);
    });

    it('reports unknown subjects, versions and ids', async () => {
      const notFound = (e: unknown) => isFareboxError(e, 'schema_not_found');
      await expect(registry.getVersion(subject(), 'latest')).rejects.toSatisfy(notFound);
      await expect(registry.getById(987_654_321)).rejects.toSatisfy(notFound);
      const s = subject();
      await registry.register(s, schema({ q: { type: 'string' } }, []));
      await expect(registry.getVersion(s, 7)).rejects.toSatisfy(notFound);
    });

    it('soft-deletes (ids still resolve) and then deletes permanently', async () => {
      const s = subject();
      const r = await registry.register(s, schema({ del: { type: 'boolean' } }, ['del']));
      expect(await registry.deleteSubject(s)).toEqual([1]);
      expect(await registry.listSubjects()).not.toContain(s);
      expect((await registry.getById(r.id)).schema).toContain('del');
      expect(await registry.deleteSubject(s, true)).toEqual([1]);
    });

    it('deletes single versions, shows soft-deleted ones on request, and never reuses version numbers', async () => {
      const s = subject();
      await registry.setCompatibility('NONE', s);
      const texts = ['a', 'b', 'c'].map((f) => schema({ [`${f}_${randomUUID()}`]: { type: 'string' } }, []));
      const registered: RegisteredSchema[] = [];
      for (const text of texts) registered.push(await registry.register(s, text));
      const second = registered[1];
      expect(await registry.listVersions(s)).toEqual([1, 2, 3]);
      expect(await registry.deleteVersion(s, 2)).toBe(2);
      expect(await registry.listVersions(s)).toEqual([1, 3]);
      expect(await registry.listVersions(s, { deleted: true })).toEqual([1, 2, 3]);
      await expect(registry.getVersion(s, 2)).rejects.toSatisfy((e) => isFareboxError(e, 'schema_not_found'));
      expect(await registry.getVersion(s, 2, { deleted: true })).toMatchObject({ id: second?.id });
      expect(await registry.lookup(s, texts[1] ?? '')).toBeUndefined();
      expect(await registry.lookup(s, texts[1] ?? '', 'JSON', { deleted: true })).toMatchObject({
        version: 2,
      });
      expect((await registry.getById(second?.id ?? 0)).schema).toBe(texts[1]);
      await expect(registry.deleteVersion(s, 3, true)).rejects.toSatisfy((e) =>
        isFareboxError(e, 'bad_request'),
      );
      expect(await registry.deleteVersion(s, 2, true)).toBe(2);
      expect(await registry.listVersions(s, { deleted: true })).toEqual([1, 3]);
      await expect(registry.getById(second?.id ?? 0)).rejects.toSatisfy((e) =>
        isFareboxError(e, 'schema_not_found'),
      );
      expect(await registry.register(s, texts[1] ?? '')).toMatchObject({ id: second?.id, version: 4 });
    });

    it('keeps a subject level apart from the global one', async () => {
      const s = subject();
      const global = await registry.getCompatibility();
      expect(await registry.getSubjectCompatibility(s)).toBeUndefined();
      await registry.setCompatibility('FULL_TRANSITIVE', s);
      expect(await registry.getSubjectCompatibility(s)).toBe('FULL_TRANSITIVE');
      expect(await registry.getCompatibility(s)).toBe('FULL_TRANSITIVE');
      expect(await registry.deleteCompatibility(s)).toBe('FULL_TRANSITIVE');
      expect(await registry.getCompatibility(s)).toBe(global);
    });

    it('registers Avro schemas and refuses an incompatible one, naming the field', async () => {
      const s = subject();
      const avro = (...fields: unknown[]) => JSON.stringify({ type: 'record', name: 'Ping', fields });
      const lat = { name: 'lat', type: 'double' };
      const v1 = await registry.register(s, avro(lat), 'AVRO');
      const v2 = await registry.register(s, avro(lat, { name: 'speed', type: 'float', default: 0 }), 'AVRO');
      expect([v1.version, v2.version, v2.schemaType]).toEqual([1, 2, 'AVRO']);
      expect(await registry.getById(v2.id)).toMatchObject({ schemaType: 'AVRO' });
      await expect(
        registry.register(
          s,
          avro(lat, { name: 'speed', type: 'float', default: 0 }, { name: 'heading', type: 'int' }),
          'AVRO',
        ),
      ).rejects.toSatisfy(
        (e) => isFareboxError(e, 'schema_incompatible') && e.message.includes("field 'heading'"),
      );
    });

    it('refuses a schema that is not JSON Schema', async () => {
      await expect(registry.register(subject(), '{nope')).rejects.toSatisfy((e) =>
        isFareboxError(e, 'schema_invalid'),
      );
    });
  });
}
