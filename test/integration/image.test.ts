/**
 * The container image, as near as a machine without Docker can come: the Dockerfile's runtime stage laid
 * out by following the Dockerfile (deploy/image.ts: its COPYs through .dockerignore, the deps stage's
 * `npm ci --omit=dev --omit=optional`, the web stage's build), then every role started from that tree as
 * the image's USER (uid 10001, with setpriv) on Kafka, MinIO, the ClickHouse server and PostgreSQL. A file
 * the image leaves out, or a package the roles need that production dependencies lack, fails here.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duBytes, stageImage, type StagedImage } from '../../deploy/image.ts';
import { openEngines, type Engines } from '../../src/cli/engines.ts';
import { collectStatus, type Warehouse } from '../../src/warehouse/index.ts';
import { dataDir, scalar } from '../helpers.ts';
import { endpoints } from '../services.ts';
import { createStack, fareboxCommand, freePort, type Role, type Stack } from './stack.ts';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-image-'));
fs.chmodSync(out, 0o755); // mkdtemp's 0700 would keep the image's user out of its own /app
let image: StagedImage;
let stack: Stack;
let engines: Engines;
const roles: Role[] = [];
let imageEnv: Record<string, string>;

/** `farebox …` from the staged image, as its user, with the stack's engines. */
function farebox(args: string[], extra: Record<string, string> = {}, input?: string): string {
  const [command, argv] = fareboxCommand({ root: image.dir, user: image.user }, args);
  return execFileSync(command, argv, {
    cwd: image.dir,
    env: { ...process.env, ...stack.env, ...imageEnv, ...extra },
    encoding: 'utf8',
    ...(input === undefined ? { stdio: ['ignore', 'pipe', 'pipe'] } : { input }),
  });
}

beforeAll(async () => {
  image = stageImage(out, { log: (l) => process.stderr.write(`image: ${l}\n`) });
  stack = await createStack('image', { root: image.dir, user: image.user });
  // The image's ENV, but its servers on loopback (this machine's rule) and its home the stack's.
  imageEnv = { ...image.env, FAREBOX_HOST: '127.0.0.1', FAREBOX_HOME: stack.env.FAREBOX_HOME as string };
}, 600_000);

afterAll(async () => {
  await engines?.close();
  await stack?.destroy();
  fs.rmSync(out, { recursive: true, force: true });
});

describe('the image, staged from the Dockerfile', () => {
  it('holds the app and its production dependencies: no tests, no dev tools, no chDB engine', () => {
    const has = (p: string) => fs.existsSync(path.join(image.dir, p));
    for (const p of [
      'bin/farebox.js',
      'src/cli/index.ts',
      'transform/dbt_project.yml',
      'web/dist/index.html',
    ])
      expect(has(p), p).toBe(true);
    for (const p of ['pipelines', 'syncs', 'dashboards', 'vendor/chdb-platform-stub', 'package-lock.json'])
      expect(has(p), p).toBe(true);
    const files = fs.readdirSync(path.join(image.dir, 'src'), { recursive: true }).map(String);
    expect(files.filter((f) => f.endsWith('.test.ts'))).toEqual([]);
    for (const p of ['test', 'bench', 'deploy', '.git', 'web/src', '.farebox']) expect(has(p), p).toBe(false);
    for (const dev of ['vite', 'vitest', 'typescript', 'playwright-core', 'eslint', 'node', 'aws-cdk-lib'])
      expect(has(`node_modules/${dev}`), dev).toBe(false);
    expect(has('node_modules/@chdb/lib-linux-x64-gnu')).toBe(false);
    for (const runtime of ['hono', '@clickhouse/client', '@platformatic/kafka', '@aws-sdk/client-s3', 'pg'])
      expect(has(`node_modules/${runtime}`), runtime).toBe(true);
    expect(image.sizes['/app/node_modules']).toBe(duBytes(path.join(image.dir, 'node_modules')));
    expect(image.sizes['/app/node_modules']).toBeLessThan(100 * 2 ** 20);
  });

  it("runs its entrypoint as uid 10001, to whom the app's files are read-only", () => {
    expect(image.user).toBe('10001:10001');
    expect(image.entrypoint).toEqual(['node', 'bin/farebox.js']);
    expect(image.cmd).toEqual(['serve', 'gateway']);
    expect(image.env.NODE_ENV).toBe('production');
    expect(farebox(['--help'])).toContain('serve');
    expect(farebox(['serve', '--help'])).toContain('dashboards');
    const [command, argv] = fareboxCommand({ user: image.user }, []);
    const write = () =>
      execFileSync(command, [...argv.slice(0, -1), '-e', `require('fs').writeFileSync('src/x', '')`], {
        cwd: image.dir,
        stdio: 'pipe',
      });
    expect(write).toThrow(/EACCES/);
  });

  it('serves every role from its files on Kafka, S3, the ClickHouse server and PostgreSQL', async () => {
    const e = endpoints();
    const dashboardsPort = await freePort();
    const withDb = { ...imageEnv, FAREBOX_OPS_DB: e.postgres };
    roles.push(await stack.start('registry', imageEnv));
    roles.push(await stack.start('gateway', imageEnv));
    roles.push(await stack.start('sink', imageEnv));
    roles.push(await stack.start('scheduler', withDb));
    roles.push(
      await stack.start('dashboards', { ...withDb, FAREBOX_DASHBOARDS_PORT: String(dashboardsPort) }),
    );

    // Real trips through the image's import command, loaded by its sink into the ClickHouse server.
    farebox(['import', '--no-load', path.join(dataDir, 'yellow_tripdata_2025_sample.csv')]);
    engines = await openEngines(stack.config, { warehouse: true });
    const warehouse = engines.warehouse as Warehouse;
    let status = await collectStatus(engines.log, warehouse, stack.config.sink.group);
    for (let i = 0; i < 240 && !(status.totals.lag === 0 && status.totals.produced > 0); i++) {
      await new Promise((r) => setTimeout(r, 500));
      status = await collectStatus(engines.log, warehouse, stack.config.sink.group);
    }
    expect(status.totals.produced).toBeGreaterThan(0);
    expect(status.totals.loaded + status.totals.deadLettered).toBe(status.totals.produced);
    const trips = await scalar(warehouse, 'SELECT count() FROM trips');
    expect(trips).toBe(status.types.find((t) => t.type === 'trip_completed')?.loaded);

    // Each role answers its probes; the sink's metrics count what it loaded.
    for (const role of roles) {
      const ops = /ops: (http:\/\/[^\s/]+)\/livez/.exec(role.output())?.[1];
      expect(ops, role.output()).toBeDefined();
      expect((await fetch(`${ops}/readyz`)).status, role.name).toBe(200);
      if (role.name === 'sink')
        expect(await (await fetch(`${ops}/metrics`)).text()).toContain(
          `farebox_sink_records_total{type="trip_completed",outcome="loaded",role="sink"} ${trips}\n`,
        );
    }

    // The dashboards: a user added with the image's CLI signs in; the web app and a chart are served.
    const user = `ana_${randomUUID().slice(0, 8)}`;
    farebox(
      ['dashboards', 'add-user', user, '--role', 'viewer', '--password-stdin'],
      withDb,
      'a long password',
    );
    const url = `http://127.0.0.1:${dashboardsPort}`;
    expect(await (await fetch(`${url}/`)).text()).toContain('<div id="app">');
    const session = await fetch(`${url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: user, password: 'a long password' }),
    });
    const { token } = (await session.json()) as { token: string };
    const chart = await fetch(`${url}/api/dashboards/pipeline/charts/table_freshness`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await chart.json()) as { rows: { table: string; rows: unknown }[] };
    expect(chart.status, JSON.stringify(body)).toBe(200);
    expect(Number(body.rows.find((r) => r.table === 'trips')?.rows)).toBe(trips);

    // SIGTERM: every role drains and exits cleanly.
    await stack.stopAll();
    for (const role of roles) expect(await role.exited, `${role.name}:\n${role.output()}`).toBe(0);
  });
});
