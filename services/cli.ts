/**
 * The servers farebox's tests need, installed from this machine's registries and started on loopback:
 *
 *   npm run services -- up [kafka|minio|clickhouse|postgres ...]   install what is missing, start, wait until ready
 *   npm run services -- status                                      what runs, and where
 *   npm run services -- down [name ...]                             stop them (all by default; data and caches stay)
 *   npm run services -- restart <name ...>                          stop and start again (fault tests use it)
 *
 * Idempotent: `up` leaves running servers alone. State, logs and binaries live in .services/; the
 * endpoints are written to .services/endpoints.json, which the integration tests read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { clickhouse } from './clickhouse.ts';
import { kafka } from './kafka.ts';
import { aptInstall, has, home, ServiceError, stop, type Service } from './lib.ts';
import { minio, s3Credentials } from './minio.ts';
import { postgres } from './postgres.ts';

const all: Service[] = [kafka, minio, clickhouse, postgres];
const endpointsFile = path.join(home, 'endpoints.json');

function pick(names: string[]): Service[] {
  if (names.length === 0) return all;
  return names.map((n) => {
    const s = all.find((x) => x.name === n);
    if (s === undefined)
      throw new ServiceError(`unknown service '${n}'; known: ${all.map((x) => x.name).join(', ')}`);
    return s;
  });
}

async function isReady(s: Service): Promise<boolean> {
  return s.ready().catch(() => false);
}

function writeEndpoints(): void {
  fs.mkdirSync(home, { recursive: true });
  const endpoints = {
    kafka: kafka.endpoint,
    s3: { endpoint: minio.endpoint, region: 'us-east-1', ...s3Credentials },
    clickhouse: clickhouse.endpoint,
    postgres: postgres.endpoint,
  };
  fs.writeFileSync(endpointsFile, `${JSON.stringify(endpoints, null, 2)}\n`);
}

async function up(names: string[]): Promise<void> {
  if (!has('kcat')) aptInstall(['kcat']);
  // The browser tests drive Debian's Chromium (Playwright's own browser download is not reachable).
  if (!has('chromium')) aptInstall(['chromium']);
  for (const s of pick(names)) {
    if (await isReady(s)) {
      process.stderr.write(`${s.name.padEnd(11)} already running  ${s.endpoint}\n`);
      continue;
    }
    const started = Date.now();
    await s.start();
    process.stderr.write(
      `${s.name.padEnd(11)} ready in ${((Date.now() - started) / 1000).toFixed(1)} s  ${s.endpoint}\n`,
    );
  }
  writeEndpoints();
}

async function status(): Promise<boolean> {
  let allUp = true;
  for (const s of all) {
    const ok = await isReady(s);
    allUp &&= ok;
    process.stdout.write(`${s.name.padEnd(11)} ${ok ? 'ready  ' : 'stopped'}  ${s.endpoint}\n`);
  }
  return allUp;
}

async function down(names: string[]): Promise<void> {
  for (const s of [...pick(names)].reverse())
    if (await stop(s.name)) process.stderr.write(`${s.name} stopped\n`);
}

const [command = 'help', ...rest] = process.argv.slice(2);
try {
  if (command === 'up') await up(rest);
  else if (command === 'down') await down(rest);
  else if (command === 'restart') {
    if (rest.length === 0)
      throw new ServiceError('restart which service? e.g. `npm run services -- restart kafka`');
    await down(rest);
    await up(rest);
  } else if (command === 'status') process.exitCode = (await status()) ? 0 : 1;
  else {
    process.stdout.write(
      fs
        .readFileSync(new URL(import.meta.url), 'utf8')
        .split('*/')[0]
        ?.replace(/^\/\*\*?\n?| \* ?/gm, '') ?? '',
    );
    process.exitCode = command === 'help' || command === '--help' ? 0 : 2;
  }
} catch (e) {
  process.stderr.write(`services: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
