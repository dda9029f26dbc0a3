/**
 * A farebox stack on the real engines of `npm run services -- up` (Kafka, MinIO, a ClickHouse server),
 * with each role a process of its own. Every stack gets fresh topics, a fresh database and a fresh bucket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { createClient } from '@clickhouse/client';
import { Admin } from '@platformatic/kafka';
import { parseConfig, type Config } from '../../src/config/index.ts';
import { contracts, deadLetterTopic, eventTypes } from '../../src/contracts/index.ts';
import { repo, tempHome } from '../helpers.ts';
import { endpoints, useS3Credentials, type Endpoints } from '../services.ts';

export const farebox = path.join(repo, 'bin', 'farebox.js');
export const node = process.execPath;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

/** Deletes farebox's topics (and the registry's) so a stack starts from nothing. */
export async function resetTopics(e: Endpoints): Promise<void> {
  const admin = new Admin({ clientId: 'farebox-test', bootstrapBrokers: [e.kafka] });
  try {
    const existing = await admin.listTopics();
    const ours = [...eventTypes.map((t) => contracts[t].topic), deadLetterTopic, '_schemas'].filter((t) =>
      existing.includes(t),
    );
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
    // Topic deletion completes in the background; wait until the broker no longer lists them.
    for (let i = 0; i < 100; i++) {
      const left = (await admin.listTopics()).filter((t) => ours.includes(t));
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.close();
  }
}

/** Empties and removes a bucket; a bucket that was never created is fine. */
export async function dropBucket(e: Endpoints, bucket: string): Promise<void> {
  const s3 = new S3Client({ region: e.s3.region, endpoint: e.s3.endpoint, forcePathStyle: true });
  try {
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket })) {
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
      if (keys.length > 0)
        await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'NoSuchBucket') throw err;
  } finally {
    s3.destroy();
  }
}

export interface Role {
  name: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export interface Stack {
  env: Record<string, string>;
  config: Config;
  database: string;
  bucket: string;
  gatewayUrl: string;
  registryUrl: string;
  token: string;
  start(role: string, extra?: Record<string, string>): Promise<Role>;
  stopAll(): Promise<void>;
  /** Stops the roles and drops the stack's database and bucket. */
  destroy(): Promise<void>;
}

async function waitHttp(url: string, role: Role, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (role.child.exitCode !== null) throw new Error(`${role.name} exited:\n${role.output()}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${role.name} not ready at ${url}:\n${role.output()}`);
}

export interface StackOptions {
  /** The farebox to run (its bin/farebox.js): this repository by default, or a staged image's /app. */
  root?: string;
  /** uid:gid to run the roles as (with setpriv), as a container's USER would. */
  user?: string;
}

/** The command that runs `farebox …` from `root` as `user`. */
export function fareboxCommand(options: StackOptions, args: string[]): [string, string[]] {
  const bin = path.join(options.root ?? repo, 'bin', 'farebox.js');
  if (options.user === undefined) return [node, [bin, ...args]];
  const [uid = '', gid = uid] = options.user.split(':');
  return ['setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', node, bin, ...args]];
}

export async function createStack(name: string, options: StackOptions = {}): Promise<Stack> {
  const e = endpoints();
  useS3Credentials(e);
  await resetTopics(e);
  const id = randomUUID().slice(0, 8);
  const database = `farebox_${name}_${id}`;
  const bucket = `farebox-${name}-${id}`;
  const home = await tempHome(`stack-${name}`);
  if (options.user !== undefined) {
    const [uid = '', gid = uid] = options.user.split(':');
    fs.chownSync(home, Number(uid), Number(gid));
  }
  const registryPort = await freePort();
  const gatewayPort = await freePort();
  const token = 'stack-secret';
  const env: Record<string, string> = {
    FAREBOX_HOME: home,
    FAREBOX_LOG: `kafka://${e.kafka}`,
    FAREBOX_REGISTRY: `http://127.0.0.1:${registryPort}`,
    FAREBOX_REGISTRY_PORT: String(registryPort),
    FAREBOX_OBJECTS: `s3://${bucket}?endpoint=${e.s3.endpoint}&region=${e.s3.region}`,
    FAREBOX_WAREHOUSE: `${e.clickhouse}/${database}`,
    FAREBOX_PORT: String(gatewayPort),
    FAREBOX_TOKENS: token,
    FAREBOX_PARTITIONS: '4',
    FAREBOX_SINK_BATCH_MS: '300',
    // Several roles on one machine: each takes a free port for /livez, /readyz and /metrics.
    FAREBOX_OPS_PORT: '0',
    AWS_ACCESS_KEY_ID: e.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: e.s3.secretAccessKey,
    AWS_REGION: e.s3.region,
  };
  const roles: Role[] = [];
  const stack: Stack = {
    env,
    config: parseConfig({ env }),
    database,
    bucket,
    gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
    registryUrl: `http://127.0.0.1:${registryPort}`,
    token,
    async start(roleName, extra = {}) {
      const log = fs.createWriteStream(path.join(home, `${roleName}-${roles.length}.log`));
      let out = '';
      const [command, args] = fareboxCommand(options, ['serve', roleName]);
      const child = spawn(command, args, {
        cwd: options.root ?? repo,
        env: { ...process.env, ...env, ...extra },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      for (const s of [child.stdout, child.stderr])
        s.on('data', (d: Buffer) => {
          out += d.toString();
          log.write(d);
        });
      const role: Role = {
        name: roleName,
        child,
        output: () => out,
        exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
      };
      roles.push(role);
      if (roleName === 'registry') await waitHttp(`${stack.registryUrl}/healthz`, role);
      else if (roleName === 'gateway') await waitHttp(`${stack.gatewayUrl}/healthz`, role);
      else
        for (let i = 0; i < 600 && !out.includes('serving '); i++) {
          if (child.exitCode !== null) throw new Error(`${roleName} exited:\n${out}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      return role;
    },
    async stopAll() {
      for (const r of [...roles].reverse())
        if (r.child.exitCode === null) {
          r.child.kill('SIGTERM');
          await r.exited;
        }
    },
    async destroy() {
      await stack.stopAll();
      const server = new URL(e.clickhouse);
      const clickhouse = createClient({
        url: `${server.protocol}//${server.host}`,
        username: decodeURIComponent(server.username),
        password: decodeURIComponent(server.password),
      });
      await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      await clickhouse.close();
      await dropBucket(e, bucket);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
  return stack;
}
