/**
 * A Python virtual environment in the repository with exact pins from PyPI, for tools farebox is checked
 * against (dbt, Airflow). Built with `python3 -m venv` on first use (pip's cache, ~/.cache/pip, makes a
 * rebuild quick); rebuilt only when the pins or the Python version change, which a stamp file records; one
 * installer at a time, under a lock file, since a test and an `npm run` may start together.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export class VenvSetupError extends Error {}

export interface VenvSpec {
  /** The tool's name in messages and in the folder: `.venv-<tool>`. */
  tool: string;
  pins: readonly string[];
  /** Python versions the pins install on, as [major, minor] bounds (inclusive). */
  python: { min: [number, number]; max?: [number, number]; why: string };
  /** A command (relative to the venv's bin/) that shows the install works, run once after it. */
  check: { bin: string; args: string[]; env?: () => NodeJS.ProcessEnv };
}

export interface Venv {
  dir: string;
  /** A program in the venv's bin/. */
  bin(name: string): string;
  /** Builds the venv if the pins or Python changed; throws VenvSetupError if it cannot. */
  ensure(): void;
}

const python = 'python3';
const staleLockMs = 20 * 60_000;

const sleepSync = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

const below = (a: [number, number], b: [number, number]): boolean =>
  a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

export function createVenv(spec: VenvSpec): Venv {
  const dir = path.join(repo, `.venv-${spec.tool}`);
  const bin = (name: string): string => path.join(dir, 'bin', name);
  const stampFile = path.join(dir, 'farebox-pins.json');
  const lockFile = `${dir}.lock`;
  const log = `${dir}.log`;
  const say = (line: string): void => void process.stderr.write(`${spec.tool}: ${line}\n`);

  const wantedStamp = (): string => {
    let version: string;
    try {
      version = execFileSync(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }).trim();
    } catch (e) {
      const stderr = (e as { stderr?: string }).stderr?.trim() ?? '';
      throw new VenvSetupError(`cannot run ${python} (needed for ${spec.tool}): ${stderr || String(e)}`, {
        cause: e,
      });
    }
    const [major = 0, minor = 0] = version.split('.').map(Number);
    const { min, max, why } = spec.python;
    if (below([major, minor], min) || (max !== undefined && below(max, [major, minor])))
      throw new VenvSetupError(`${why}; ${python} is ${version}`);
    return JSON.stringify({ python: version, pins: spec.pins });
  };

  const currentStamp = (): string | undefined => {
    try {
      return fs.existsSync(bin(spec.check.bin)) ? fs.readFileSync(stampFile, 'utf8') : undefined;
    } catch {
      return undefined;
    }
  };

  const withLock = <T>(fn: () => T): T => {
    const deadline = Date.now() + staleLockMs;
    for (;;) {
      try {
        fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const age = Date.now() - (fs.statSync(lockFile, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age > staleLockMs) fs.rmSync(lockFile, { force: true });
        else if (Date.now() > deadline) throw new VenvSetupError(`timed out waiting for ${lockFile}`);
        else sleepSync(500);
      }
    }
    try {
      return fn();
    } finally {
      fs.rmSync(lockFile, { force: true });
    }
  };

  const step = (what: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): void => {
    fs.appendFileSync(log, `\n$ ${cmd} ${args.join(' ')}\n`);
    const fd = fs.openSync(log, 'a');
    try {
      const r = spawnSync(cmd, args, { stdio: ['ignore', fd, fd], ...(env === undefined ? {} : { env }) });
      if (r.status !== 0)
        throw new VenvSetupError(
          `${what} failed (${r.error?.message ?? `exit ${String(r.status ?? r.signal)}`}); see ${log}:\n` +
            fs.readFileSync(log, 'utf8').slice(-2000),
        );
    } finally {
      fs.closeSync(fd);
    }
  };

  const install = (stamp: string): void => {
    fs.writeFileSync(log, `farebox: installing ${spec.pins.join(' ')} into ${dir}\n`);
    say(`creating ${path.relative(repo, dir)} with ${spec.pins.join(', ')} from PyPI (once; log: ${log})`);
    const started = Date.now();
    step('python3 -m venv', python, ['-m', 'venv', '--clear', dir]);
    step('pip install', bin('pip'), ['install', '--disable-pip-version-check', '--quiet', ...spec.pins]);
    step(
      `${spec.check.bin} ${spec.check.args.join(' ')}`,
      bin(spec.check.bin),
      spec.check.args,
      spec.check.env?.(),
    );
    fs.writeFileSync(stampFile, stamp);
    say(`ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  };

  return {
    dir,
    bin,
    ensure() {
      const stamp = wantedStamp();
      if (currentStamp() === stamp) return;
      withLock(() => {
        if (currentStamp() !== stamp) install(stamp);
      });
    },
  };
}
