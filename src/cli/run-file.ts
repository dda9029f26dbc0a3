/** `<home>/run.json` tells other farebox commands where a running `farebox up` listens. */
import fs from 'node:fs';
import path from 'node:path';

export interface RunInfo {
  pid: number;
  url: string;
  token: string;
}

const fileOf = (home: string): string => path.join(home, 'run.json');

export function writeRunInfo(home: string, info: RunInfo): void {
  fs.writeFileSync(fileOf(home), JSON.stringify(info), { mode: 0o600 });
}

export function removeRunInfo(home: string): void {
  fs.rmSync(fileOf(home), { force: true });
}

/** The running instance for this home directory, if its process is alive. */
export function readRunInfo(home: string): RunInfo | undefined {
  let info: RunInfo;
  try {
    info = JSON.parse(fs.readFileSync(fileOf(home), 'utf8')) as RunInfo;
  } catch {
    return undefined;
  }
  try {
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}

/** Calls the control API of a running instance. */
export async function callRunning<T>(
  info: RunInfo,
  route: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const res = await fetch(`${info.url}${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as T };
}
