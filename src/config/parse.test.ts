import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFareboxError } from '../errors/index.ts';
import { parseConfig } from './parse.ts';

const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-config-'));

function errorOf(f: () => unknown): { message: string; where: string | undefined; hint: string | undefined } {
  try {
    f();
  } catch (e) {
    if (isFareboxError(e, 'config_invalid')) return { message: e.message, where: e.where, hint: e.hint };
    throw e;
  }
  throw new Error('expected a config_invalid error');
}

describe('parseConfig', () => {
  it('defaults to embedded engines under ./.farebox', () => {
    const c = parseConfig({ env: {}, cwd });
    expect(c.log).toMatchObject({
      kind: 'local',
      dir: path.join(cwd, '.farebox/log'),
      fsync: { mode: 'always' },
    });
    expect(c.objects).toEqual({ kind: 'file', dir: path.join(cwd, '.farebox/objects') });
    expect(c.warehouse).toEqual({
      kind: 'chdb',
      path: path.join(cwd, '.farebox/warehouse'),
      database: 'farebox',
    });
    expect(c.registry).toEqual({ kind: 'embedded', dir: path.join(cwd, '.farebox/log/_registry') });
    expect(c.opsDb.kind).toBe('pglite');
    expect(c.ingest.claimCheckBytes).toBe(512 * 1024);
    expect(fs.existsSync(c.zonesFile)).toBe(true);
  });

  it('parses the distributed engine URLs', () => {
    const c = parseConfig({
      cwd,
      env: {
        FAREBOX_LOG: 'kafka://k1:9092,k2:9093',
        FAREBOX_OBJECTS: 's3://media?endpoint=http://127.0.0.1:9000&region=eu-west-1',
        FAREBOX_WAREHOUSE: 'http://alice:s%3Dcret@ch:8123/fleet',
        FAREBOX_REGISTRY: 'http://reg:8081/',
        FAREBOX_OPS_DB: 'postgres://u:p@db:5432/ops',
        FAREBOX_REPLICATION_FACTOR: '3',
        FAREBOX_OPS_PORT: '0',
        FAREBOX_SHUTDOWN_SECONDS: '10',
        FAREBOX_LOG_FORMAT: 'json',
      },
    });
    expect(c.log).toMatchObject({ kind: 'kafka', brokers: ['k1:9092', 'k2:9093'], replicationFactor: 3 });
    expect(c.ops).toEqual({ port: 0, shutdownMs: 10_000, logFormat: 'json' });
    expect(c.objects).toEqual({
      kind: 's3',
      bucket: 'media',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
      prefix: '',
    });
    expect(c.warehouse).toEqual({
      kind: 'http',
      url: 'http://ch:8123',
      username: 'alice',
      password: 's=cret',
      database: 'fleet',
    });
    expect(c.registry).toEqual({ kind: 'http', url: 'http://reg:8081' });
    expect(c.opsDb).toEqual({ kind: 'postgres', url: 'postgres://u:p@db:5432/ops' });
  });

  it('takes flags over environment over file over defaults', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-config-file-'));
    fs.writeFileSync(path.join(dir, 'farebox.yaml'), 'partitions: 3\nport: 9000\nseed: 7\ntokens: [a, b]\n');
    const c = parseConfig({
      cwd: dir,
      env: { FAREBOX_PORT: '9100', FAREBOX_SIM_SEED: '8' },
      flags: { seed: '9' },
    });
    expect(c.log.partitions).toBe(3);
    expect(c.ingest.port).toBe(9100);
    expect(c.simulator.seed).toBe(9);
    expect(c.ingest.tokens).toEqual(['a', 'b']);
  });

  it('names the variable and the accepted forms for an unknown scheme', () => {
    const e = errorOf(() => parseConfig({ cwd, env: { FAREBOX_LOG: 'redis://x' } }));
    expect(e.message).toContain("FAREBOX_LOG has an unsupported value 'redis://x'");
    expect(e.hint).toContain('local:./dir | kafka://host1:9092,host2:9092');
    const w = errorOf(() => parseConfig({ cwd, env: { FAREBOX_WAREHOUSE: 'duckdb:./x' } }));
    expect(w.message).toContain('FAREBOX_WAREHOUSE');
    expect(w.hint).toContain('chdb:./dir');
    const f = errorOf(() => parseConfig({ cwd, env: {}, flags: { objects: 'gs://bucket' } }));
    expect(f.message).toContain('--objects');
  });

  it('rejects bad numbers and policies, naming the setting', () => {
    expect(errorOf(() => parseConfig({ cwd, env: { FAREBOX_PARTITIONS: 'four' } })).message).toMatch(
      /FAREBOX_PARTITIONS must be an integer from 1 to 1024, got 'four'/,
    );
    expect(errorOf(() => parseConfig({ cwd, env: { FAREBOX_SIM_BAD_SHARE: '1.5' } })).message).toContain(
      'FAREBOX_SIM_BAD_SHARE',
    );
    expect(errorOf(() => parseConfig({ cwd, env: { FAREBOX_FSYNC: 'sometimes' } })).hint).toContain(
      'interval:<milliseconds>',
    );
    expect(errorOf(() => parseConfig({ cwd, env: { FAREBOX_LOG: 'kafka://' } })).message).toContain(
      'FAREBOX_LOG',
    );
  });

  it('refuses an unknown key in the config file with a suggestion', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-config-file-'));
    fs.writeFileSync(path.join(dir, 'farebox.json'), JSON.stringify({ warehous: 'chdb:./w' }));
    const e = errorOf(() => parseConfig({ cwd: dir, env: {} }));
    expect(e.message).toContain("unknown setting 'warehous'");
    expect(e.hint).toContain("did you mean 'warehouse'?");
    fs.writeFileSync(path.join(dir, 'farebox.json'), '{ not json');
    expect(errorOf(() => parseConfig({ cwd: dir, env: {} })).message).toContain('is not valid JSON');
  });
});
