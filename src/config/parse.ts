/** Configuration is read here, once: defaults < config file < environment < flags. Nothing else reads process.env. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { FareboxError, closest } from '../errors/index.ts';
import { settings, type SettingKey } from './settings.ts';
import type { Config, FsyncPolicy } from './types.ts';
import { parseLogUrl, parseObjectsUrl, parseOpsDbUrl, parseRegistryUrl, parseWarehouseUrl } from './urls.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ConfigSources {
  env?: Record<string, string | undefined>;
  /** Path of a YAML or JSON config file; when absent, ./farebox.yaml or ./farebox.json is used if present. */
  file?: string | undefined;
  /** Values from CLI flags, by setting key. */
  flags?: Partial<Record<SettingKey, string>>;
  cwd?: string;
}

interface Raw {
  value: string;
  source: string;
  baseDir: string;
}

/** The process environment, for the few readers that need arbitrary variables (dbt's env_var()). */
export function environment(): Readonly<Record<string, string | undefined>> {
  return process.env;
}

function readFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new FareboxError('config_invalid', `cannot read config file ${file}`, { cause: e, where: file });
  }
  let parsed: unknown;
  try {
    parsed = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new FareboxError(
      'config_invalid',
      `config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${detail}`,
      { where: file },
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new FareboxError('config_invalid', `config file ${file} must hold a mapping of settings`, {
      where: file,
    });
  const keys: readonly string[] = settings.map((s) => s.key);
  for (const k of Object.keys(parsed)) {
    if (!keys.includes(k)) {
      const near = closest(k, keys);
      throw new FareboxError('config_invalid', `config file ${file} has an unknown setting '${k}'`, {
        where: file,
        hint: near === undefined ? `known settings: ${keys.join(', ')}` : `did you mean '${near}'?`,
      });
    }
  }
  return parsed as Record<string, unknown>;
}

function fileText(value: unknown, key: string, file: string): string {
  if (Array.isArray(value)) return value.map(String).join(',');
  if (typeof value === 'object' && value !== null)
    throw new FareboxError('config_invalid', `'${key}' in ${file} must be a single value, not a mapping`, {
      where: file,
    });
  return String(value);
}

function findFile(sources: ConfigSources, cwd: string): string | undefined {
  const named = sources.file ?? sources.env?.FAREBOX_CONFIG;
  if (named !== undefined && named !== '') return path.resolve(cwd, named);
  return ['farebox.yaml', 'farebox.yml', 'farebox.json']
    .map((f) => path.join(cwd, f))
    .find((f) => fs.existsSync(f));
}

function collect(sources: ConfigSources): Map<SettingKey, Raw> {
  const cwd = sources.cwd ?? process.cwd();
  const env = sources.env ?? process.env;
  const file = findFile({ ...sources, env }, cwd);
  const fromFile = file === undefined ? {} : readFile(file);
  const out = new Map<SettingKey, Raw>();
  for (const s of settings) {
    const flag = sources.flags?.[s.key];
    const envValue = env[s.env];
    const fileValue = fromFile[s.key];
    if (flag !== undefined) out.set(s.key, { value: flag, source: s.flag, baseDir: cwd });
    else if (envValue !== undefined && envValue !== '')
      out.set(s.key, { value: envValue, source: s.env, baseDir: cwd });
    else if (fileValue !== undefined && file !== undefined)
      out.set(s.key, {
        value: fileText(fileValue, s.key, file),
        source: `'${s.key}' in ${file}`,
        baseDir: path.dirname(file),
      });
    else out.set(s.key, { value: s.default, source: `${s.env} (default)`, baseDir: cwd });
  }
  return out;
}

function number(raw: Raw, opts: { min: number; max?: number; integer?: boolean }): number {
  const n = Number(raw.value);
  const ok =
    raw.value.trim() !== '' &&
    Number.isFinite(n) &&
    n >= opts.min &&
    (opts.max === undefined || n <= opts.max);
  if (!ok || (opts.integer === true && !Number.isInteger(n)))
    throw new FareboxError(
      'config_invalid',
      `${raw.source} must be ${opts.integer === true ? 'an integer' : 'a number'} ${opts.max === undefined ? `≥ ${opts.min}` : `from ${opts.min} to ${opts.max}`}, got '${raw.value}'`,
      { where: raw.source },
    );
  return n;
}

function fsync(raw: Raw): FsyncPolicy {
  if (raw.value === 'always' || raw.value === 'never') return { mode: raw.value };
  const m = /^interval:(\d+)$/.exec(raw.value);
  if (m?.[1] !== undefined && Number(m[1]) > 0) return { mode: 'interval', intervalMs: Number(m[1]) };
  throw new FareboxError('config_invalid', `${raw.source} has an unsupported value '${raw.value}'`, {
    where: raw.source,
    hint: 'accepted forms: always | interval:<milliseconds> | never',
  });
}

function anonymousRole(raw: Raw): 'viewer' | undefined {
  if (raw.value === '') return undefined;
  if (raw.value === 'viewer') return 'viewer';
  throw new FareboxError('config_invalid', `${raw.source} has an unsupported value '${raw.value}'`, {
    where: raw.source,
    hint: "'viewer' (anyone may read, for a local demo) or empty (sign-in required)",
  });
}

function logFormat(raw: Raw): 'text' | 'json' {
  if (raw.value === 'text' || raw.value === 'json') return raw.value;
  throw new FareboxError('config_invalid', `${raw.source} has an unsupported value '${raw.value}'`, {
    where: raw.source,
    hint: 'text or json',
  });
}

/** Parses and checks every setting, returning typed configuration or a config_invalid error naming the setting. */
export function parseConfig(sources: ConfigSources = {}): Config {
  const raw = collect(sources);
  const get = (k: SettingKey): Raw => raw.get(k) as Raw;
  const home = path.resolve(get('home').baseDir, get('home').value);
  const expand = (k: SettingKey): Raw => {
    const r = get(k);
    return { ...r, value: r.value.replaceAll('{home}', home).replaceAll('{repo}', repoRoot) };
  };
  const ctx = (k: SettingKey): { source: string; baseDir: string } => ({
    source: get(k).source,
    baseDir: get(k).baseDir,
  });

  const logEngine = parseLogUrl(expand('log').value, ctx('log'));
  const partitions = number(get('partitions'), { min: 1, max: 1024, integer: true });
  const retentionHours = number(get('retentionHours'), { min: 0 });
  const retentionBytes = number(get('retentionBytes'), { min: 0, integer: true });
  const retention = {
    retentionMs: retentionHours === 0 ? undefined : retentionHours * 3_600_000,
    retentionBytes: retentionBytes === 0 ? undefined : retentionBytes,
  };
  const log: Config['log'] =
    logEngine.kind === 'local'
      ? {
          kind: 'local',
          dir: logEngine.dir,
          fsync: fsync(get('fsync')),
          segmentBytes: number(get('segmentBytes'), { min: 4096, integer: true }),
          partitions,
          ...retention,
        }
      : {
          kind: 'kafka',
          brokers: logEngine.brokers,
          clientId: 'farebox',
          partitions,
          replicationFactor: number(get('replicationFactor'), { min: 1, max: 32, integer: true }),
          ...retention,
        };

  const tokens = get('tokens')
    .value.split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  return {
    home,
    log,
    objects: parseObjectsUrl(expand('objects').value, ctx('objects')),
    warehouse: parseWarehouseUrl(expand('warehouse').value, ctx('warehouse')),
    registry: parseRegistryUrl(
      expand('registry').value,
      ctx('registry'),
      log.kind === 'local' ? log.dir : path.join(home, 'registry'),
    ),
    opsDb: parseOpsDbUrl(expand('opsDb').value, ctx('opsDb')),
    ingest: {
      host: get('host').value,
      port: number(get('port'), { min: 0, max: 65535, integer: true }),
      tokens,
      maxBodyBytes: number(get('maxBodyBytes'), { min: 1024, integer: true }),
      claimCheckBytes: number(get('claimCheckBytes'), { min: 1024, integer: true }),
    },
    sink: {
      group: get('sinkGroup').value,
      batchRows: number(get('sinkBatchRows'), { min: 1, integer: true }),
      batchMs: number(get('sinkBatchMs'), { min: 1, integer: true }),
      retrySeconds: number(get('sinkRetrySeconds'), { min: 0, integer: true }),
    },
    registryPort: number(get('registryPort'), { min: 0, max: 65535, integer: true }),
    ops: {
      port: number(get('opsPort'), { min: 0, max: 65535, integer: true }),
      shutdownMs: number(get('shutdownSeconds'), { min: 1, max: 3600 }) * 1000,
      logFormat: logFormat(get('logFormat')),
    },
    preload: { workers: number(get('preloadWorkers'), { min: 0, max: 64, integer: true }) },
    simulator: {
      vehicles: number(get('vehicles'), { min: 0, max: 100_000, integer: true }),
      seed: number(get('seed'), { min: 0, integer: true }),
      badShare: number(get('badShare'), { min: 0, max: 1 }),
      speed: number(get('speed'), { min: 0.001 }),
    },
    zonesFile: path.resolve(get('zones').baseDir, expand('zones').value),
    orchestrate: {
      pipelinesDir: path.resolve(get('pipelines').baseDir, expand('pipelines').value),
      syncsDir: path.resolve(get('syncs').baseDir, expand('syncs').value),
      projectDir: path.resolve(get('project').baseDir, expand('project').value),
      alertWebhook: get('alertWebhook').value === '' ? undefined : get('alertWebhook').value,
      tickMs: number(get('schedulerTickSeconds'), { min: 0.01 }) * 1000,
    },
    dashboards: {
      port: number(get('dashboardsPort'), { min: 0, max: 65535, integer: true }),
      anonymousRole: anonymousRole(get('dashboardsAnonymous')),
      dir: path.resolve(get('dashboards').baseDir, expand('dashboards').value),
      timeoutSeconds: number(get('queryTimeoutSeconds'), { min: 1, max: 86_400, integer: true }),
      maxRows: number(get('queryMaxRows'), { min: 1, max: 10_000_000, integer: true }),
      webDir: path.join(repoRoot, 'web', 'dist'),
    },
  };
}
