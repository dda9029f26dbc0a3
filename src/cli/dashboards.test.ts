/** `farebox dashboards` users commands, as processes on an embedded ops DB (PGlite) of their own. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../config/index.ts';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-cli-dashboards-'));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

function farebox(args: string[], input?: string): { out: string; err: string; code: number | null } {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin/farebox.js'), 'dashboards', ...args], {
    cwd: home,
    env: { ...process.env, FAREBOX_HOME: home },
    encoding: 'utf8',
    ...(input === undefined ? { stdio: ['ignore', 'pipe', 'pipe'] } : { input }),
  });
  return { out: r.stdout, err: r.stderr, code: r.status };
}

describe('farebox dashboards users commands', () => {
  it('adds, lists, changes the role and password of, and removes users, keeping the last admin', () => {
    expect(farebox(['add-user', 'ada', '--role', 'admin', '--password-stdin'], 'ada password').out).toBe(
      'added ada (admin)\n',
    );
    expect(farebox(['add-user', 'vic', '--password-stdin'], 'vic password\n').code).toBe(0);
    const list = farebox(['users']).out.split('\n');
    expect(list[0]).toMatch(/^name\s+role\s+created$/);
    expect(list.slice(1, 3).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['ada', 'admin'],
      ['vic', 'viewer'],
    ]);
    expect(farebox(['set-role', 'vic', '--role', 'editor']).out).toBe('vic is now an editor\n');
    expect(farebox(['set-password', 'vic', '--password-stdin'], 'another password').out).toContain(
      'set a new password for vic',
    );
    const lastAdmin = farebox(['remove-user', 'ada']);
    expect(lastAdmin.code).not.toBe(0);
    expect(lastAdmin.err).toContain('cannot remove ada: ada is the last admin');
    expect(lastAdmin.err).toContain('make another user an admin first');
    expect(farebox(['set-role', 'ada', '--role', 'viewer']).err).toContain('ada is the last admin');
    expect(farebox(['remove-user', 'vic']).out).toBe('removed vic\n');
    const gone = farebox(['remove-user', 'vic']);
    expect(gone.code).not.toBe(0);
    expect(gone.err).toContain("no user 'vic'");
    expect(farebox(['set-role', 'ada', '--role', 'root']).err).toContain(
      'Allowed choices are viewer, editor, admin',
    );
    expect(farebox(['set-password', 'ada', '--password-stdin'], 'short').err).toContain(
      'at least 8 characters',
    );
  });
});
