/**
 * The Confluent Schema Registry REST API over any SchemaRegistry, enough for the official clients:
 * subjects and versions, lookup, schemas by id, soft and permanent deletes, /config and /compatibility,
 * with Confluent's error bodies (`{"error_code": 40401, "message": "Subject 'x' not found."}`).
 *
 * The registries throw plain FareboxErrors (schema_not_found covers subject, version and id), so the
 * routes ask first where Confluent has a more precise code (40401 vs 40402, 40404 … 40408).
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { isFareboxError } from '../errors/index.ts';
import {
  confluentError,
  errorForCode,
  invalidCompatibility,
  invalidVersion,
  notFoundErrors,
  parseCompatibility,
  parseSchemaRequest,
  parseVersionId,
  registryMediaType,
  schemaTypeField,
  versionBody,
  type ConfluentError,
} from './confluent.ts';
import { schemaTypes, type SchemaRegistry } from './types.ts';

export interface RegistryAppDeps {
  registry: SchemaRegistry;
}

const maxBodyBytes = 8 * 1024 * 1024;

const toResponse = (e: ConfluentError): Response =>
  new Response(JSON.stringify(e.body), { status: e.status, headers: { 'content-type': registryMediaType } });

function stop(e: ConfluentError): never {
  throw new HTTPException(e.status, { res: toResponse(e) });
}

const send = (c: Context, body: unknown) =>
  c.body(JSON.stringify(body), 200, { 'content-type': registryMediaType });
const flag = (c: Context, name: string): boolean => c.req.query(name) === 'true';

async function readBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    return stop(confluentError(400, 400, `the request body is not JSON: ${(e as Error).message}`));
  }
}

export function createRegistryApp(deps: RegistryAppDeps): Hono {
  const { registry } = deps;
  const app = new Hono();

  /** The subject's versions (soft-deleted ones too if asked), or 40401. */
  const versionsOf = async (subject: string, deleted: boolean): Promise<number[]> => {
    try {
      return await registry.listVersions(subject, { deleted });
    } catch (e) {
      if (isFareboxError(e, 'schema_not_found')) stop(notFoundErrors.subject(subject));
      throw e;
    }
  };
  /** The subject's live versions; none when it has only soft-deleted ones (or none at all). */
  const liveVersions = async (subject: string): Promise<number[]> => {
    try {
      return await registry.listVersions(subject);
    } catch (e) {
      if (isFareboxError(e, 'schema_not_found')) return [];
      throw e;
    }
  };
  const versionParam = (c: Context): number | 'latest' => {
    const text = c.req.param('version') ?? '';
    return parseVersionId(text) ?? stop(invalidVersion(text));
  };
  const existingVersion = async (subject: string, version: number | 'latest', deleted: boolean) => {
    const versions = await versionsOf(subject, deleted);
    if (version !== 'latest' && !versions.includes(version)) stop(notFoundErrors.version(version));
  };
  const schemaRequest = async (c: Context) => {
    const parsed = parseSchemaRequest(await readBody(c));
    return 'status' in parsed ? stop(parsed) : parsed;
  };
  const levelRequest = async (c: Context) => {
    const body = (await readBody(c)) as { compatibility?: unknown; compatibilityLevel?: unknown } | null;
    return (
      parseCompatibility(body?.compatibility ?? body?.compatibilityLevel) ?? stop(invalidCompatibility())
    );
  };
  const check = async (c: Context, version: number | 'latest') => {
    const subject = c.req.param('subject') ?? '';
    // Against "latest" of a subject that does not exist yet, anything is compatible (as in Confluent).
    if (version !== 'latest') await existingVersion(subject, version, false);
    const { schema, schemaType } = await schemaRequest(c);
    const result = await registry.checkCompatibility(subject, schema, schemaType, version);
    return send(c, {
      is_compatible: result.compatible,
      ...(flag(c, 'verbose') ? { messages: result.messages } : {}),
    });
  };

  app.use(
    '*',
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: () => toResponse(confluentError(413, 413, 'Request body too large')),
    }),
  );

  app.get('/', (c) => send(c, {}));
  app.get('/schemas/types', (c) => send(c, schemaTypes));
  app.get('/subjects', async (c) => send(c, await registry.listSubjects({ deleted: flag(c, 'deleted') })));

  app.get('/subjects/:subject/versions', async (c) =>
    send(c, await versionsOf(c.req.param('subject'), flag(c, 'deleted'))),
  );
  app.post('/subjects/:subject/versions', async (c) => {
    const { schema, schemaType } = await schemaRequest(c);
    const r = await registry.register(c.req.param('subject'), schema, schemaType);
    return send(c, { id: r.id, version: r.version, ...schemaTypeField(r.schemaType), schema: r.schema });
  });
  app.get('/subjects/:subject/versions/:version', async (c) => {
    const subject = c.req.param('subject');
    const version = versionParam(c);
    const deleted = flag(c, 'deleted');
    await existingVersion(subject, version, deleted);
    return send(c, versionBody(await registry.getVersion(subject, version, { deleted })));
  });
  app.get('/subjects/:subject/versions/:version/schema', async (c) => {
    const subject = c.req.param('subject');
    const version = versionParam(c);
    await existingVersion(subject, version, flag(c, 'deleted'));
    const r = await registry.getVersion(subject, version, { deleted: flag(c, 'deleted') });
    return c.body(r.schema, 200, { 'content-type': registryMediaType });
  });
  app.post('/subjects/:subject', async (c) => {
    const subject = c.req.param('subject');
    const deleted = flag(c, 'deleted');
    await versionsOf(subject, deleted);
    const { schema, schemaType } = await schemaRequest(c);
    const r = await registry.lookup(subject, schema, schemaType, { deleted });
    return r === undefined ? stop(notFoundErrors.schema()) : send(c, versionBody(r));
  });
  app.delete('/subjects/:subject', async (c) => {
    const subject = c.req.param('subject');
    const permanent = flag(c, 'permanent');
    await versionsOf(subject, true);
    const live = await liveVersions(subject);
    if (!permanent && live.length === 0) stop(notFoundErrors.subjectSoftDeleted(subject));
    if (permanent && live.length > 0) stop(notFoundErrors.subjectNotSoftDeleted(subject));
    return send(c, await registry.deleteSubject(subject, permanent));
  });
  app.delete('/subjects/:subject/versions/:version', async (c) => {
    const subject = c.req.param('subject');
    const version = versionParam(c);
    const permanent = flag(c, 'permanent');
    const all = await versionsOf(subject, true);
    if (version !== 'latest') {
      if (!all.includes(version)) stop(notFoundErrors.version(version));
      const live = (await liveVersions(subject)).includes(version);
      if (!permanent && !live) stop(notFoundErrors.versionSoftDeleted(subject, version));
      if (permanent && live) stop(notFoundErrors.versionNotSoftDeleted(subject, version));
    }
    return send(c, await registry.deleteVersion(subject, version, permanent));
  });

  const schemaById = async (c: Context) => {
    const text = c.req.param('id') ?? '';
    const id = /^\d{1,10}$/.test(text) ? Number(text) : undefined;
    try {
      if (id !== undefined) return await registry.getById(id);
    } catch (e) {
      if (!isFareboxError(e, 'schema_not_found')) throw e;
    }
    return stop(notFoundErrors.schema(text));
  };
  app.get('/schemas/ids/:id', async (c) => {
    const s = await schemaById(c);
    return send(c, { ...schemaTypeField(s.schemaType), schema: s.schema });
  });
  app.get('/schemas/ids/:id/schema', async (c) =>
    c.body((await schemaById(c)).schema, 200, { 'content-type': registryMediaType }),
  );

  app.get('/config', async (c) => send(c, { compatibilityLevel: await registry.getCompatibility() }));
  app.put('/config', async (c) => {
    const level = await levelRequest(c);
    await registry.setCompatibility(level);
    return send(c, { compatibility: level });
  });
  app.delete('/config', async (c) => send(c, { compatibilityLevel: await registry.deleteCompatibility() }));
  app.get('/config/:subject', async (c) => {
    const subject = c.req.param('subject');
    const level = flag(c, 'defaultToGlobal')
      ? await registry.getCompatibility(subject)
      : await registry.getSubjectCompatibility(subject);
    if (level === undefined) stop(notFoundErrors.subjectLevel(subject));
    return send(c, { compatibilityLevel: level });
  });
  app.put('/config/:subject', async (c) => {
    const level = await levelRequest(c);
    await registry.setCompatibility(level, c.req.param('subject'));
    return send(c, { compatibility: level });
  });
  app.delete('/config/:subject', async (c) => {
    const subject = c.req.param('subject');
    const before = await registry.deleteCompatibility(subject);
    if (before === undefined) stop(notFoundErrors.subjectLevel(subject));
    return send(c, { compatibilityLevel: before });
  });

  app.post('/compatibility/subjects/:subject/versions/:version', (c) => check(c, versionParam(c)));
  app.post('/compatibility/subjects/:subject/versions', (c) => check(c, 'latest'));

  app.notFound(() => toResponse(confluentError(404, 404, 'HTTP 404 Not Found')));
  app.onError((e) => {
    if (e instanceof HTTPException) return e.getResponse();
    if (isFareboxError(e)) return toResponse(errorForCode(e.code, e.message));
    return toResponse(confluentError(500, 500, `Internal error: ${e.message}`));
  });
  return app;
}
