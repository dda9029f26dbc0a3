/**
 * farebox's registry service driven by the official Confluent client (`@confluentinc/schemaregistry`, not
 * farebox code) over HTTP, backed by the log-backed registry on a temporary embedded log.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  Compatibility,
  JsonSerializer,
  RestError,
  SchemaRegistryClient,
  SerdeType,
} from '@confluentinc/schemaregistry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contracts, type TripCompleted } from '../contracts/index.ts';
import { createFsObjectStore } from '../objects/index.ts';
import { createPreload, rowObject } from '../preload/index.ts';
import { avroCandidates, avroHistory, jsonCandidates, jsonHistory } from './compatibility/fixtures.ts';
import { describeRegistryContract } from './contract-suite.ts';
import { createHttpRegistry } from './http-client.ts';
import { createLogRegistry } from './log-registry.ts';
import { createRegistryApp } from './server.ts';
import { serveOnLoopback, tempLog } from './testing.ts';
import { compatibilityLevels, type SchemaRegistry } from './types.ts';

const [v1, v2] = contracts.trip_completed.versions.map((v) => v.schemaText);
const subject = contracts.trip_completed.subject;

let url: string;
let registry: SchemaRegistry;
let client: SchemaRegistryClient;
let stop: () => Promise<void>;

beforeAll(async () => {
  const { log, cleanup } = await tempLog();
  registry = await createLogRegistry({}, { log });
  const server = await serveOnLoopback(createRegistryApp({ registry }));
  url = server.url;
  client = new SchemaRegistryClient({ baseURLs: [url], maxRetries: 0 });
  stop = async () => {
    await client.close();
    await server.close();
    await registry.close();
    await cleanup();
  };
});
afterAll(() => stop());

async function post(p: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
async function call(method: string, p: string, body?: unknown) {
  const res = await fetch(`${url}${p}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as { error_code?: number; message?: string } };
}

/** trip_completed v2 with `fare_amount` turned into a string: incompatible under BACKWARD. */
function incompatibleV3(): string {
  const s = JSON.parse(v2 ?? '') as { properties: Record<string, unknown> };
  s.properties.fare_amount = { type: 'string' };
  return JSON.stringify(s);
}

const trip: TripCompleted = {
  event_id: '0194b6a0-0000-7000-8000-000000000042',
  event_time: '2025-02-01T00:26:59-05:00',
  trip_id: 'official-client-trip',
  vehicle_id: 'v1',
  driver_id: 'd1',
  taxi_kind: 'yellow',
  vendor_id: 1,
  pickup_datetime: '2025-02-01T00:18:38-05:00',
  dropoff_datetime: '2025-02-01T00:26:59-05:00',
  passenger_count: 1,
  trip_distance: 1.6,
  ratecode_id: 1,
  store_and_fwd_flag: 'N',
  pu_location_id: 229,
  do_location_id: 237,
  payment_type: 1,
  fare_amount: 10,
  extra: 3.5,
  mta_tax: 0.5,
  tip_amount: 3,
  tolls_amount: 0,
  improvement_surcharge: 1,
  total_amount: 21.25,
  congestion_surcharge: 2.5,
  airport_fee: 0,
  trip_type: null,
  ehail_fee: null,
  cbd_congestion_fee: 0.75,
};

describe('registry service with the official Confluent client', () => {
  it('registers, looks up and checks compatibility; refuses an incompatible v3 with 409 naming the field', async () => {
    const id1 = await client.register(subject, { schemaType: 'JSON', schema: v1 ?? '' });
    const meta2 = await client.registerFullResponse(subject, { schemaType: 'JSON', schema: v2 ?? '' });
    expect(meta2.id).not.toBe(id1);
    expect(await client.getId(subject, { schemaType: 'JSON', schema: v1 ?? '' })).toBe(id1);
    expect(await client.getVersion(subject, { schemaType: 'JSON', schema: v2 ?? '' })).toBe(2);
    expect(await client.getBySubjectAndId(subject, meta2.id ?? 0)).toMatchObject({
      schemaType: 'JSON',
      schema: v2,
    });
    expect(await client.getLatestSchemaMetadata(subject)).toMatchObject({
      id: meta2.id,
      version: 2,
      subject,
    });
    expect(await client.getSchemaMetadata(subject, 1)).toMatchObject({ id: id1, version: 1 });
    expect(await client.getAllVersions(subject)).toEqual([1, 2]);
    expect(await client.getAllSubjects()).toContain(subject);
    expect(await client.getDefaultCompatibility()).toBe(Compatibility.BACKWARD);
    expect(await client.testSubjectCompatibility(subject, { schemaType: 'JSON', schema: v2 ?? '' })).toBe(
      true,
    );
    expect(await client.testCompatibility(subject, 1, { schemaType: 'JSON', schema: v2 ?? '' })).toBe(true);

    const v3 = { schemaType: 'JSON', schema: incompatibleV3() };
    expect(await client.testSubjectCompatibility(subject, v3)).toBe(false);
    const verbose = await post(`/compatibility/subjects/${subject}/versions/latest?verbose=true`, v3);
    expect(verbose.body).toEqual({
      is_compatible: false,
      messages: ["field 'fare_amount': type changed from number to string"],
    });
    const refused = await client.register(subject, v3).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(RestError);
    expect(refused).toMatchObject({ status: 409, errorCode: 409 });
    expect((refused as RestError).message).toContain(
      "field 'fare_amount': type changed from number to string",
    );
    expect(await client.getAllVersions(subject)).toEqual([1, 2]);
  });

  it("serializes with the official JSON serializer into bytes farebox's pre-load decodes into a row", async () => {
    const { id } = await registry.register(subject, v2 ?? '', 'JSON');
    const serializer = new JsonSerializer(client, SerdeType.VALUE, { useLatestVersion: true });
    const bytes = await serializer.serialize('trip_completed', trip);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(id);
    expect(JSON.parse(bytes.subarray(5).toString('utf8'))).toEqual(trip);

    const objects = await createFsObjectStore({
      dir: await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-objects-')),
    });
    // Pre-load fetches the schema by id over HTTP, through farebox's client for any Confluent registry.
    const preload = createPreload({ workers: 0 }, { registry: createHttpRegistry({ url }), objects });
    const record = { topic: 'trip_completed', partition: 0, offset: 0, timestamp: 0, key: null, headers: {} };
    const routed = await preload.process({ ...record, value: bytes });
    if (!routed.ok) throw new Error(`dead-lettered: ${routed.deadLetter.reason}`);
    expect(rowObject(routed.type, routed.row)).toMatchObject({
      trip_id: 'official-client-trip',
      fare_amount: 10,
      cbd_congestion_fee: 0.75,
      schema_id: id,
    });
    const batch = await preload.processBatch([{ ...record, offset: 1, value: bytes }]);
    expect(batch.loaded).toEqual([true]);
    await preload.close();
  });

  for (const [type, history, candidates] of [
    ['AVRO', avroHistory, avroCandidates],
    ['JSON', jsonHistory, jsonCandidates],
  ] as const)
    it(`checks ${type} schemas in every compatibility level`, async () => {
      for (const level of compatibilityLevels) {
        const s = `${type.toLowerCase()}-${level.toLowerCase()}-value`;
        expect(await client.updateCompatibility(s, level as Compatibility)).toBe(level);
        expect(await client.getCompatibility(s)).toBe(level);
        for (const schema of history) await client.register(s, { schemaType: type, schema });
        for (const [what, c] of Object.entries(candidates)) {
          const info = { schemaType: type, schema: c.schema };
          const ok = await client.testSubjectCompatibility(s, info);
          expect({ level, what, ok }).toEqual({ level, what, ok: c.compatible.includes(level) });
          if (ok) continue;
          const verbose = await post(`/compatibility/subjects/${s}/versions/latest?verbose=true`, info);
          expect((verbose.body.messages as string[]).join('\n')).toContain(`field '${c.field}'`);
          await expect(client.register(s, info)).rejects.toMatchObject({ status: 409 });
        }
      }
    });

  it('takes subject names with slashes, colons and spaces', async () => {
    const s = 'fleet/trips: by zone-value';
    const schema = JSON.stringify({
      type: 'object',
      properties: { zone: { type: 'integer' } },
      required: [],
    });
    const id = await client.register(s, { schemaType: 'JSON', schema });
    expect(await client.getLatestSchemaMetadata(s)).toMatchObject({ id, subject: s, version: 1 });
    expect(await client.getAllSubjects()).toContain(s);
    expect(await client.updateCompatibility(s, Compatibility.NONE)).toBe('NONE');
  });

  it('answers with Confluent error codes', async () => {
    expect(await call('GET', '/subjects/nope-value/versions/1')).toEqual({
      status: 404,
      body: { error_code: 40401, message: "Subject 'nope-value' not found." },
    });
    expect(await call('GET', `/subjects/${subject}/versions/99`)).toEqual({
      status: 404,
      body: { error_code: 40402, message: 'Version 99 not found.' },
    });
    expect((await call('GET', '/schemas/ids/987654')).body).toMatchObject({ error_code: 40403 });
    expect(
      (await call('POST', `/subjects/${subject}`, { schemaType: 'JSON', schema: '{"type":"string"}' })).body,
    ).toMatchObject({ error_code: 40403 });
    expect((await call('GET', `/subjects/${subject}/versions/zero`)).body).toMatchObject({
      error_code: 42202,
    });
    const invalid = await call('POST', `/subjects/${subject}/versions`, {
      schemaType: 'JSON',
      schema: '{nope',
    });
    expect(invalid).toMatchObject({ status: 422, body: { error_code: 42201 } });
    const badAvro = await call('POST', '/subjects/avro-value/versions', { schema: '{"type":"nope"}' });
    expect(badAvro).toMatchObject({ status: 422, body: { error_code: 42201 } });
    expect(await call('PUT', '/config', { compatibility: 'SIDEWAYS' })).toMatchObject({
      status: 422,
      body: { error_code: 42203 },
    });
    expect((await call('GET', '/config/never-configured-value')).body).toMatchObject({ error_code: 40408 });
    expect((await call('GET', '/config/never-configured-value?defaultToGlobal=true')).body).toEqual({
      compatibilityLevel: 'BACKWARD',
    });
  });

  it('soft-deletes and permanently deletes subjects and versions with Confluent’s rules', async () => {
    const s = 'deletable-value';
    const schema = (field: string) =>
      JSON.stringify({ type: 'object', properties: { [field]: { type: 'string' } }, required: [] });
    for (const f of ['a', 'b', 'c']) await client.register(s, { schemaType: 'JSON', schema: schema(f) });
    expect((await call('DELETE', `/subjects/${s}/versions/1?permanent=true`)).body).toMatchObject({
      error_code: 40407,
    });
    expect(await client.deleteSubjectVersion(s, 1)).toBe(1);
    expect((await call('DELETE', `/subjects/${s}/versions/1`)).body).toMatchObject({ error_code: 40406 });
    expect(await client.deleteSubjectVersion(s, 1, true)).toBe(1);
    expect((await call('DELETE', `/subjects/${s}?permanent=true`)).body).toMatchObject({ error_code: 40405 });
    expect(await client.deleteSubject(s)).toEqual([2, 3]);
    expect(await client.getAllSubjects()).not.toContain(s);
    expect((await call('GET', '/subjects?deleted=true')).body).toContain(s);
    expect((await call('DELETE', `/subjects/${s}`)).body).toMatchObject({ error_code: 40404 });
    expect(await client.deleteSubject(s, true)).toEqual([2, 3]);
    expect((await call('GET', '/subjects?deleted=true')).body).not.toContain(s);
  });
});

describeRegistryContract('HTTP client → farebox registry service', async () => {
  const { log, cleanup } = await tempLog();
  const backing = await createLogRegistry({}, { log });
  const server = await serveOnLoopback(createRegistryApp({ registry: backing }));
  return {
    registry: createHttpRegistry({ url: server.url }),
    cleanup: async () => {
      await server.close();
      await backing.close();
      await cleanup();
    },
  };
});
