/**
 * Without chDB's engine installed (the container image leaves it out by default), the warehouse layer still
 * loads, and only asking for the embedded warehouse fails, saying what to do instead. Run in a child process
 * whose module resolution refuses `chdb`.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../config/index.ts';

const script = `
import { registerHooks } from 'node:module';
registerHooks({
  resolve(specifier, context, next) {
    if (specifier === 'chdb' || specifier.startsWith('chdb/'))
      throw Object.assign(new Error("Cannot find package '" + specifier + "'"), { code: 'ERR_MODULE_NOT_FOUND' });
    return next(specifier, context);
  },
});
const { openWarehouse } = await import(${JSON.stringify(path.join(repoRoot, 'src/warehouse/index.ts'))});
const failed = await openWarehouse({ kind: 'chdb', path: '/nonexistent', database: 'farebox' }).then(
  () => ({ code: 'opened' }),
  (e) => ({ code: e.code, message: e.message, hint: e.hint }),
);
console.log(JSON.stringify(failed));
`;

it('loads without chDB, and refuses only the embedded warehouse, saying what to use instead', () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const failed = JSON.parse(out) as { code: string; message: string; hint: string };
  expect(failed.code).toBe('config_invalid');
  expect(failed.message).toContain('the embedded warehouse (chDB) is not installed here');
  expect(failed.hint).toContain('FAREBOX_WAREHOUSE=http://');
  expect(failed.hint).toContain('EMBEDDED=true');
});
