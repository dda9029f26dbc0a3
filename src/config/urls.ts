/** Parsers for the engine URLs of DESIGN.md. Each returns a typed value or throws naming the setting. */
import path from 'node:path';
import { FareboxError } from '../errors/index.ts';
import type { LogConfig, ObjectsConfig, OpsDbConfig, RegistryConfig, WarehouseConfig } from './types.ts';

export interface UrlContext {
  /** How the user named the setting: `FAREBOX_LOG`, `--log`, `log in farebox.yaml`. */
  source: string;
  /** Relative paths are resolved against this directory. */
  baseDir: string;
}

function bad(ctx: UrlContext, value: string, accepted: string[]): FareboxError {
  return new FareboxError('config_invalid', `${ctx.source} has an unsupported value '${value}'`, {
    where: ctx.source,
    hint: `accepted forms: ${accepted.join(' | ')}`,
  });
}

function localPath(ctx: UrlContext, value: string, rest: string, accepted: string[]): string {
  if (rest === '') throw bad(ctx, value, accepted);
  return path.resolve(ctx.baseDir, rest);
}

function parseUrl(ctx: UrlContext, value: string, accepted: string[]): URL {
  try {
    return new URL(value);
  } catch {
    throw bad(ctx, value, accepted);
  }
}

const logForms = ['local:./dir', 'kafka://host1:9092,host2:9092'];
type LogEngine = { kind: 'local'; dir: string } | { kind: 'kafka'; brokers: string[] };

export function parseLogUrl(value: string, ctx: UrlContext): LogEngine {
  if (value.startsWith('local:'))
    return { kind: 'local', dir: localPath(ctx, value, value.slice(6), logForms) };
  if (value.startsWith('kafka://')) {
    const brokers = value
      .slice('kafka://'.length)
      .replace(/\/$/, '')
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b !== '');
    if (brokers.length === 0 || brokers.some((b) => !/^[\w.-]+:\d{1,5}$|^\[[0-9a-f:]+\]:\d{1,5}$/i.test(b)))
      throw bad(ctx, value, logForms);
    return { kind: 'kafka', brokers };
  }
  throw bad(ctx, value, logForms);
}

const objectForms = [
  'file:./dir',
  's3://bucket?endpoint=http://127.0.0.1:9000&region=us-east-1&pathStyle=true',
];

export function parseObjectsUrl(value: string, ctx: UrlContext): ObjectsConfig {
  if (value.startsWith('file:')) {
    const rest = value.startsWith('file://') ? value.slice('file://'.length) : value.slice('file:'.length);
    return { kind: 'file', dir: localPath(ctx, value, rest, objectForms) };
  }
  if (value.startsWith('s3://')) {
    const url = parseUrl(ctx, value, objectForms);
    if (url.hostname === '') throw bad(ctx, value, objectForms);
    const endpoint = url.searchParams.get('endpoint') ?? undefined;
    const pathStyle = url.searchParams.get('pathStyle');
    return {
      kind: 's3',
      bucket: url.hostname,
      endpoint,
      region: url.searchParams.get('region') ?? 'us-east-1',
      forcePathStyle: pathStyle === null ? endpoint !== undefined : pathStyle === 'true',
      prefix: url.pathname.replace(/^\/+/, ''),
    };
  }
  throw bad(ctx, value, objectForms);
}

const warehouseForms = ['chdb:./dir', 'http://user:pass@host:8123/database', 'https://…'];

export function parseWarehouseUrl(value: string, ctx: UrlContext): WarehouseConfig {
  if (value.startsWith('chdb:')) {
    const [rest = '', query = ''] = value.slice(5).split('?');
    const database = new URLSearchParams(query).get('database') ?? 'farebox';
    return { kind: 'chdb', path: localPath(ctx, value, rest, warehouseForms), database };
  }
  if (value.startsWith('http://') || value.startsWith('https://')) {
    const url = parseUrl(ctx, value, warehouseForms);
    const database = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, '')) || 'farebox';
    const username = decodeURIComponent(url.username) || 'default';
    const password = decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
    url.pathname = '/';
    return { kind: 'http', url: url.toString().replace(/\/$/, ''), username, password, database };
  }
  throw bad(ctx, value, warehouseForms);
}

const registryForms = ['embedded', 'http://host:8081'];

export function parseRegistryUrl(value: string, ctx: UrlContext, logDir: string): RegistryConfig {
  if (value === 'embedded') return { kind: 'embedded', dir: path.join(logDir, '_registry') };
  if (value.startsWith('http://') || value.startsWith('https://')) {
    const url = parseUrl(ctx, value, registryForms);
    return { kind: 'http', url: url.toString().replace(/\/$/, '') };
  }
  throw bad(ctx, value, registryForms);
}

const opsForms = ['pglite:./dir', 'postgres://user:pass@host:5432/db'];

export function parseOpsDbUrl(value: string, ctx: UrlContext): OpsDbConfig {
  if (value.startsWith('pglite:'))
    return { kind: 'pglite', dir: localPath(ctx, value, value.slice(7), opsForms) };
  if (value.startsWith('postgres://') || value.startsWith('postgresql://')) {
    parseUrl(ctx, value, opsForms);
    return { kind: 'postgres', url: value };
  }
  throw bad(ctx, value, opsForms);
}

export type { LogConfig, LogEngine };
