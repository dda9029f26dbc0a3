/**
 * Users of the dashboards and their sessions, in the operational database. Passwords are hashed with
 * scrypt (random salt, `scrypt$N$r$p$salt$hash`), compared in constant time; a session token is 32 random
 * bytes given to the client once, of which only the sha256 is stored.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { FareboxError } from '../errors/index.ts';
import { sqlState, type OpsDb, type Queryable } from '../opsdb/index.ts';

export const userRoles = ['viewer', 'editor', 'admin'] as const;
export type UserRole = (typeof userRoles)[number];

export interface User {
  name: string;
  role: UserRole;
}

export interface Session {
  token: string;
  user: User;
  expiresAt: Date;
}

const sessionMs = 12 * 3_600_000;
const cost = { N: 16_384, r: 8, p: 1 };

export function isRole(s: unknown): s is UserRole {
  return typeof s === 'string' && (userRoles as readonly string[]).includes(s);
}

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, 32, { N, r, p, maxmem: 256 * N * r }, (e, key) => (e ? reject(e) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost.N, cost.r, cost.p);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [kind, N, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(password, Buffer.from(salt, 'base64'), Number(N), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

const sha256 = (token: string): string => createHash('sha256').update(token).digest('hex');

function checkName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(name))
    throw new FareboxError('bad_request', `user name '${name}' is not allowed`, {
      where: 'name',
      hint: 'letters, digits, . _ @ - (up to 64), starting with a letter or digit',
    });
}

/** A new password is at least 8 characters long. */
export function checkPasswordText(password: string): void {
  if (password.length < 8)
    throw new FareboxError('bad_request', 'the password must have at least 8 characters', {
      where: 'password',
    });
}

export interface Users {
  add(name: string, password: string, role: UserRole): Promise<User>;
  /** A new password; every session of the user ends. */
  setPassword(name: string, password: string): Promise<void>;
  /** As setPassword, when `current` is the user's password now; false (and nothing changed) when not. */
  changePassword(name: string, current: string, password: string): Promise<boolean>;
  /** A new role, in force at the user's next request; the last admin cannot stop being one. */
  setRole(name: string, role: UserRole): Promise<User>;
  /** The user and their sessions gone; the last admin cannot be removed. */
  remove(name: string): Promise<void>;
  list(): Promise<(User & { createdAt: string })[]>;
  /** A new session for the right name and password; undefined otherwise (no hint which was wrong). */
  verify(name: string, password: string): Promise<Session | undefined>;
  /** The user of a live session. */
  sessionUser(token: string): Promise<User | undefined>;
  endSession(token: string): Promise<void>;
}

/**
 * Refuses a change that would leave no admin: `name` is about to stop being one. The table lock makes two
 * admins demoting each other at once take turns, so the second sees the first's change.
 */
async function keepAnAdmin(tx: Queryable, name: string, what: string): Promise<void> {
  await tx.query('LOCK TABLE farebox_users IN SHARE ROW EXCLUSIVE MODE');
  const others = await tx.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM farebox_users WHERE role = 'admin' AND name <> $1",
    [name],
  );
  const [me] = await tx.query<{ role: string }>('SELECT role FROM farebox_users WHERE name = $1', [name]);
  if (me?.role === 'admin' && (others[0]?.n ?? 0) === 0)
    throw new FareboxError('conflict', `cannot ${what}: ${name} is the last admin`, {
      where: 'name',
      hint: 'make another user an admin first',
    });
}

/** The tables, created when missing; then the users and sessions over them. */
export async function openUsers(db: OpsDb, now: () => number = Date.now): Promise<Users> {
  await db.exec(`
    CREATE TABLE IF NOT EXISTS farebox_users (
      name text PRIMARY KEY,
      role text NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
      password_hash text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE IF NOT EXISTS farebox_sessions (
      token_hash text PRIMARY KEY,
      user_name text NOT NULL REFERENCES farebox_users ON DELETE CASCADE,
      expires_at timestamptz NOT NULL
    );`);
  let dummy: Promise<string> | undefined;
  const notFound = (name: string) => new FareboxError('not_found', `no user '${name}'`, { where: 'name' });
  async function setPassword(name: string, password: string): Promise<void> {
    checkPasswordText(password);
    const hash = await hashPassword(password);
    await db.transaction(async (tx) => {
      const rows = await tx.query(
        'UPDATE farebox_users SET password_hash = $2 WHERE name = $1 RETURNING name',
        [name, hash],
      );
      if (rows.length === 0) throw notFound(name);
      // A new password signs out every session of the old one.
      await tx.query('DELETE FROM farebox_sessions WHERE user_name = $1', [name]);
    });
  }
  return {
    async add(name, password, role) {
      checkName(name);
      checkPasswordText(password);
      try {
        await db.query('INSERT INTO farebox_users (name, role, password_hash) VALUES ($1, $2, $3)', [
          name,
          role,
          await hashPassword(password),
        ]);
      } catch (e) {
        if (sqlState(e) === '23505')
          throw new FareboxError('bad_request', `user '${name}' already exists`, { where: 'name' });
        throw e;
      }
      return { name, role };
    },
    setPassword,
    async changePassword(name, current, password) {
      checkPasswordText(password);
      const [row] = await db.query<{ password_hash: string }>(
        'SELECT password_hash FROM farebox_users WHERE name = $1',
        [name],
      );
      if (row === undefined || !(await checkPassword(current, row.password_hash))) return false;
      await setPassword(name, password);
      return true;
    },
    async setRole(name, role) {
      await db.transaction(async (tx) => {
        if (role !== 'admin')
          await keepAnAdmin(tx, name, `make ${name} ${role === 'editor' ? 'an' : 'a'} ${role}`);
        const rows = await tx.query('UPDATE farebox_users SET role = $2 WHERE name = $1 RETURNING name', [
          name,
          role,
        ]);
        if (rows.length === 0) throw notFound(name);
      });
      return { name, role };
    },
    async remove(name) {
      await db.transaction(async (tx) => {
        await keepAnAdmin(tx, name, `remove ${name}`);
        const rows = await tx.query('DELETE FROM farebox_users WHERE name = $1 RETURNING name', [name]);
        if (rows.length === 0) throw notFound(name);
      });
    },
    async list() {
      const rows = await db.query<{ name: string; role: UserRole; created_at: Date }>(
        'SELECT name, role, created_at FROM farebox_users ORDER BY name',
      );
      return rows.map((r) => ({
        name: r.name,
        role: r.role,
        createdAt: new Date(r.created_at).toISOString(),
      }));
    },
    async verify(name, password) {
      const [row] = await db.query<{ role: UserRole; password_hash: string }>(
        'SELECT role, password_hash FROM farebox_users WHERE name = $1',
        [name],
      );
      // An unknown name costs the same scrypt as a wrong password: the timing does not tell them apart.
      const ok = await checkPassword(password, row?.password_hash ?? (await (dummy ??= hashPassword(''))));
      if (row === undefined || !ok) return undefined;
      const token = randomBytes(32).toString('base64url');
      const expiresAt = new Date(now() + sessionMs);
      await db.query('DELETE FROM farebox_sessions WHERE expires_at < $1', [new Date(now())]);
      await db.query('INSERT INTO farebox_sessions (token_hash, user_name, expires_at) VALUES ($1, $2, $3)', [
        sha256(token),
        name,
        expiresAt,
      ]);
      return { token, user: { name, role: row.role }, expiresAt };
    },
    async sessionUser(token) {
      const [row] = await db.query<{ name: string; role: UserRole }>(
        `SELECT u.name, u.role FROM farebox_sessions s JOIN farebox_users u ON u.name = s.user_name
         WHERE s.token_hash = $1 AND s.expires_at > $2`,
        [sha256(token), new Date(now())],
      );
      return row === undefined ? undefined : { name: row.name, role: row.role };
    },
    async endSession(token) {
      await db.query('DELETE FROM farebox_sessions WHERE token_hash = $1', [sha256(token)]);
    },
  };
}
