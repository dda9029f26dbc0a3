/**
 * The shutdown bound of `farebox serve`: a role that cannot drain (here a scheduler whose sync job waits on
 * a receiver that never answers) still exits within FAREBOX_SHUTDOWN_SECONDS of SIGTERM, with code 1 and
 * the reason logged, so a deploy is never held up by it. Its /readyz turns 503 as soon as it drains.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repo, tempHome } from './helpers.ts';

const home = await tempHome('shutdown');
let asked = 0;
/** Takes the request and never answers. */
const silent = http.createServer(() => void asked++);
await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`;
for (const dir of ['pipelines', 'syncs']) fs.mkdirSync(path.join(home, dir));
fs.writeFileSync(
  path.join(home, 'pipelines', 'stuck.yaml'),
  'pipeline: stuck\nschedule: { every: 1s }\njobs:\n  - name: push\n    sync: stuck\n    timeout: 10m\n',
);
fs.writeFileSync(
  path.join(home, 'syncs', 'stuck.yaml'),
  `sync: stuck\nsource:\n  sql: select 1 as id\n  primary_key: [id]\nmode: upsert\ndestination:\n  http: { url: '${url}', timeout: 10m, retries: 0 }\n`,
);

afterAll(() => {
  silent.closeAllConnections();
  silent.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('farebox serve, stopped while it cannot drain', () => {
  it('exits within FAREBOX_SHUTDOWN_SECONDS of SIGTERM, code 1, saying why', async () => {
    const child = spawn(process.execPath, [path.join(repo, 'bin/farebox.js'), 'serve', 'scheduler'], {
      cwd: home,
      env: {
        ...process.env,
        FAREBOX_HOME: home,
        FAREBOX_PIPELINES: path.join(home, 'pipelines'),
        FAREBOX_SYNCS: path.join(home, 'syncs'),
        FAREBOX_OPS_PORT: '0',
        FAREBOX_SHUTDOWN_SECONDS: '3',
        FAREBOX_SCHEDULER_TICK_SECONDS: '0.2',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    for (let i = 0; i < 600 && asked === 0; i++) {
      if (child.exitCode !== null) throw new Error(`serve exited:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(asked, output).toBeGreaterThan(0);
    const ops = /ops: (http:\/\/[^\s/]+)\/livez/.exec(output)?.[1] as string;
    expect((await fetch(`${ops}/readyz`)).status).toBe(200);
    const stopping = Date.now();
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect((await fetch(`${ops}/readyz`)).status).toBe(503);
    expect(await exited).toBe(1);
    const took = Date.now() - stopping;
    expect(took).toBeGreaterThanOrEqual(2_900);
    expect(took).toBeLessThan(8_000);
    expect(output).toMatch(/did not stop within 3 s: exiting; uncommitted records are redelivered/);
  }, 120_000);
});
