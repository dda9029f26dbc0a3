/** Shared pieces of the test-services script: commands, detached processes, readiness, the state folder. */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Everything the services keep: binaries, data, logs, pids. Cached between runs; gitignored. */
export const home = path.join(repo, '.services');
export const logs = path.join(home, 'logs');

export function dir(...parts: string[]): string {
  const d = path.join(home, ...parts);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

export function say(line: string): void {
  process.stderr.write(`services: ${line}\n`);
}

export class ServiceError extends Error {}

/** Runs a command to completion; its output goes to `log` (or is returned when none is given). */
export function run(
  cmd: string,
  args: string[],
  options: { log?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): string {
  try {
    if (options.log === undefined)
      return execFileSync(cmd, args, {
        encoding: 'utf8',
        env: options.env ?? process.env,
        cwd: options.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const fd = fs.openSync(options.log, 'a');
    try {
      execFileSync(cmd, args, {
        env: options.env ?? process.env,
        cwd: options.cwd,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      fs.closeSync(fd);
    }
    return '';
  } catch (e) {
    const detail =
      options.log === undefined ? String((e as { stderr?: string }).stderr ?? e) : `see ${options.log}`;
    throw new ServiceError(`\`${cmd} ${args.join(' ')}\` failed: ${detail.trim().slice(-2000)}`);
  }
}

export function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Starts a long-running process detached from this one, logging to logs/<name>.log; records its pid. */
export function startDetached(
  name: string,
  cmd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number } = {},
): number {
  fs.mkdirSync(logs, { recursive: true });
  const fd = fs.openSync(path.join(logs, `${name}.log`), 'a');
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: options.env ?? process.env,
    cwd: options.cwd ?? home,
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid }),
  });
  fs.closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new ServiceError(`could not start ${cmd}`);
  fs.writeFileSync(path.join(dir('pids'), `${name}.pid`), String(child.pid));
  return child.pid;
}

export function pidOf(name: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(home, 'pids', `${name}.pid`), 'utf8'));
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Stops a process started by startDetached: SIGTERM, then SIGKILL after `graceMs`. */
export async function stop(name: string, graceMs = 15_000): Promise<boolean> {
  const pid = pidOf(name);
  fs.rmSync(path.join(home, 'pids', `${name}.pid`), { force: true });
  if (pid === undefined) return false;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    process.kill(pid, 'SIGTERM');
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await sleep(100);
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  return true;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Polls `ready` until it holds, the process died, or the time is up; then names the log to read. */
export async function waitUntil(
  name: string,
  ready: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const log = path.join(logs, `${name}.log`);
  while (Date.now() < deadline) {
    if (await ready().catch(() => false)) return;
    if (pidOf(name) === undefined) throw new ServiceError(`${name} exited while starting; see ${log}`);
    await sleep(250);
  }
  throw new ServiceError(`${name} was not ready after ${timeoutMs / 1000} s; see ${log}`);
}

/** Installs Debian packages that are missing (as root, or through sudo without a password). */
let aptUpdated = false;
export function aptInstall(packages: string[]): void {
  const sudo = process.getuid?.() === 0 ? [] : has('sudo') ? ['sudo', '-n'] : undefined;
  if (sudo === undefined)
    throw new ServiceError(
      `${packages.join(', ')} missing and this user cannot install Debian packages (not root, no sudo)`,
    );
  const apt = (args: string[]) => {
    const [cmd = 'apt-get', ...rest] = [...sudo, 'apt-get', ...args];
    run(cmd, rest, {
      log: path.join(dir('logs'), 'apt.log'),
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  say(`installing ${packages.join(', ')} from Debian's packages`);
  try {
    apt(['install', '-y', '-q', '--no-install-recommends', ...packages]);
  } catch (e) {
    if (aptUpdated) throw e;
    aptUpdated = true;
    apt(['update', '-q']);
    apt(['install', '-y', '-q', '--no-install-recommends', ...packages]);
  }
}

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return res.ok;
}

/** One server the tests need. `start` installs what is missing, starts it and waits until it is ready. */
export interface Service {
  name: string;
  /** How clients reach it (also written to .services/endpoints.json). */
  endpoint: string;
  start(): Promise<void>;
  ready(): Promise<boolean>;
}
