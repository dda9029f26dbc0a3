/**
 * `farebox up` on a fresh home: with no dashboard users yet, it makes `admin` with a random password,
 * kept in FAREBOX_HOME/dashboards-admin-password (readable by the owner only), so that `npm start` leads
 * straight to a sign-in that works. Later starts find the user and leave it alone.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { OpsDb } from '../opsdb/index.ts';
import { openUsers } from './users.ts';

export interface FirstAdmin {
  /** The file holding the password. */
  file: string;
  /** The password, when it was made just now. */
  password?: string;
}

export async function ensureFirstAdmin(home: string, opsDb: OpsDb): Promise<FirstAdmin | undefined> {
  const users = await openUsers(opsDb);
  const file = path.join(home, 'dashboards-admin-password');
  if ((await users.list()).length > 0) return fs.existsSync(file) ? { file } : undefined;
  const password = randomBytes(15).toString('base64url');
  await users.add('admin', password, 'admin');
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return { file, password };
}
