/**
 * A SchemaRegistry that talks to any Confluent-compatible registry by URL (Confluent's own, farebox's
 * `serve registry`, Redpanda, Karapace …). Confluent's error codes become FareboxError codes
 * (404xx → schema_not_found, 409 → schema_incompatible, 42201 → schema_invalid); network failures and
 * 5xx answers are retriable, so pre-load stops the batch instead of dead-lettering good records.
 */
import { FareboxError } from '../errors/index.ts';
import { codeForConfluent, confluentCodes, registryMediaType } from './confluent.ts';
import type {
  CompatibilityLevel,
  ReadOptions,
  RegisteredSchema,
  SchemaRegistry,
  SchemaType,
} from './types.ts';

export interface HttpRegistryConfig {
  /** Base URL, e.g. http://host:8081; user:password in it become basic auth. */
  url: string;
  timeoutMs?: number;
}

export interface HttpRegistryDeps {
  fetch?: typeof fetch;
}

type Answer = { ok: true; data: unknown } | { ok: false; status: number; errorCode: number; message: string };

interface VersionBody {
  subject: string;
  version: number;
  id: number;
  schemaType?: SchemaType;
  schema: string;
}

const enc = encodeURIComponent;
const deletedQuery = (o?: ReadOptions): string => (o?.deleted === true ? '?deleted=true' : '');
const toRegistered = (b: VersionBody): RegisteredSchema => ({
  id: b.id,
  subject: b.subject,
  version: b.version,
  schemaType: b.schemaType ?? 'AVRO',
  schema: b.schema,
});

export function createHttpRegistry(config: HttpRegistryConfig, deps: HttpRegistryDeps = {}): SchemaRegistry {
  const doFetch = deps.fetch ?? fetch;
  const base = new URL(config.url);
  const auth =
    base.username === ''
      ? undefined
      : `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
  base.username = '';
  base.password = '';
  const root = base.toString().replace(/\/+$/, '');
  const timeoutMs = config.timeoutMs ?? 10_000;

  const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    let res: Response;
    let text: string;
    try {
      res = await doFetch(`${root}${path}`, {
        method,
        headers: {
          accept: `${registryMediaType}, application/vnd.schemaregistry+json, application/json`,
          ...(body === undefined ? {} : { 'content-type': registryMediaType }),
          ...(auth === undefined ? {} : { authorization: auth }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      throw new FareboxError(
        'registry_unavailable',
        `schema registry ${root} unreachable: ${(e as Error).message}`,
        {
          retriable: true,
          cause: e,
          where: `${method} ${path}`,
          hint: 'is the registry running, and is FAREBOX_REGISTRY its URL?',
        },
      );
    }
    let data: unknown;
    try {
      data = text === '' ? undefined : JSON.parse(text);
    } catch {
      data = text;
    }
    if (res.ok) return { ok: true, data };
    const err = (typeof data === 'object' && data !== null ? data : {}) as {
      error_code?: unknown;
      message?: unknown;
    };
    return {
      ok: false,
      status: res.status,
      errorCode: typeof err.error_code === 'number' ? err.error_code : res.status,
      message: typeof err.message === 'string' ? err.message : `HTTP ${res.status}`,
    };
  };
  const fail = (a: Extract<Answer, { ok: false }>, method: string, path: string): FareboxError => {
    const { code, retriable } = codeForConfluent(a.status, a.errorCode);
    return new FareboxError(
      code,
      `${a.message} (schema registry: HTTP ${a.status}, error code ${a.errorCode})`,
      {
        retriable,
        where: `${method} ${root}${path}`,
      },
    );
  };
  const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const a = await call(method, path, body);
    if (!a.ok) throw fail(a, method, path);
    return a.data as T;
  };
  /** Like request, but the listed Confluent codes give undefined instead of an error. */
  const optional = async <T>(codes: number[], method: string, path: string, body?: unknown) => {
    const a = await call(method, path, body);
    if (a.ok) return a.data as T;
    if (codes.includes(a.errorCode)) return undefined;
    throw fail(a, method, path);
  };
  const configPath = (subject?: string): string =>
    subject === undefined ? '/config' : `/config/${enc(subject)}`;
  const notFound = [confluentCodes.subjectNotFound, confluentCodes.schemaNotFound];

  const registry: SchemaRegistry = {
    async register(subject, schema, schemaType = 'JSON') {
      const path = `/subjects/${enc(subject)}/versions`;
      const r = await request<{ id: number; version?: number; schema?: string }>('POST', path, {
        schema,
        schemaType,
      });
      if (r.version !== undefined)
        return { id: r.id, subject, version: r.version, schemaType, schema: r.schema ?? schema };
      // Older registries answer only {id}; the lookup gives the version.
      const found = await registry.lookup(subject, schema, schemaType);
      return found ?? { id: r.id, subject, version: 0, schemaType, schema };
    },
    async lookup(subject, schema, schemaType = 'JSON', options) {
      const b = await optional<VersionBody>(
        notFound,
        'POST',
        `/subjects/${enc(subject)}${deletedQuery(options)}`,
        {
          schema,
          schemaType,
        },
      );
      return b === undefined ? undefined : toRegistered(b);
    },
    async getById(id) {
      const b = await request<{ schema: string; schemaType?: SchemaType }>('GET', `/schemas/ids/${id}`);
      return { schema: b.schema, schemaType: b.schemaType ?? 'AVRO' };
    },
    async getVersion(subject, version, options) {
      return toRegistered(
        await request<VersionBody>(
          'GET',
          `/subjects/${enc(subject)}/versions/${version}${deletedQuery(options)}`,
        ),
      );
    },
    listSubjects: (options) => request<string[]>('GET', `/subjects${deletedQuery(options)}`),
    listVersions: (subject, options) =>
      request<number[]>('GET', `/subjects/${enc(subject)}/versions${deletedQuery(options)}`),
    async checkCompatibility(subject, schema, schemaType = 'JSON', version = 'latest') {
      const path = `/compatibility/subjects/${enc(subject)}/versions/${version}?verbose=true`;
      // A subject that does not exist yet has nothing to be incompatible with.
      const codes = version === 'latest' ? [confluentCodes.subjectNotFound] : [];
      const r = await optional<{ is_compatible: boolean; messages?: unknown }>(codes, 'POST', path, {
        schema,
        schemaType,
      });
      if (r === undefined) return { compatible: true, messages: [] };
      const messages = Array.isArray(r.messages)
        ? r.messages.map((m) => (typeof m === 'string' ? m : JSON.stringify(m)))
        : [];
      return { compatible: r.is_compatible, messages };
    },
    async getCompatibility(subject) {
      if (subject !== undefined) {
        const own = await registry.getSubjectCompatibility(subject);
        if (own !== undefined) return own;
      }
      return (await request<{ compatibilityLevel: CompatibilityLevel }>('GET', '/config')).compatibilityLevel;
    },
    async getSubjectCompatibility(subject) {
      const r = await optional<{ compatibilityLevel: CompatibilityLevel }>(
        [confluentCodes.subjectLevelNotConfigured, confluentCodes.subjectNotFound],
        'GET',
        configPath(subject),
      );
      return r?.compatibilityLevel;
    },
    async setCompatibility(level, subject) {
      await request('PUT', configPath(subject), { compatibility: level });
    },
    async deleteCompatibility(subject) {
      const r = await optional<{ compatibilityLevel?: CompatibilityLevel }>(
        [confluentCodes.subjectLevelNotConfigured, confluentCodes.subjectNotFound],
        'DELETE',
        configPath(subject),
      );
      return r?.compatibilityLevel;
    },
    deleteSubject: (subject, permanent = false) =>
      request<number[]>('DELETE', `/subjects/${enc(subject)}${permanent ? '?permanent=true' : ''}`),
    deleteVersion: (subject, version, permanent = false) =>
      request<number>(
        'DELETE',
        `/subjects/${enc(subject)}/versions/${version}${permanent ? '?permanent=true' : ''}`,
      ),
    close: () => Promise.resolve(),
  };
  return registry;
}
