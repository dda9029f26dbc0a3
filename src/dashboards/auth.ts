/**
 * Who is calling: a session token from `Authorization: Bearer …` or the `farebox_session` cookie; without
 * one (or with one that expired) a 401, unless the local demo flag lets anyone in as a viewer. Roles rank
 * viewer < editor < admin; a route needing more than the caller has is a 403 naming the role it needs.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { FareboxError } from '../errors/index.ts';
import type { User, UserRole, Users } from './users.ts';

export const sessionCookie = 'farebox_session';

export interface AuthEnv {
  Variables: { user: User };
}

const rank: Record<UserRole, number> = { viewer: 0, editor: 1, admin: 2 };

/** The token the request carries, if any. */
export function tokenOf(c: Context): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
  return m?.[1] ?? getCookie(c, sessionCookie);
}

export function authenticate(users: Users, anonymousRole: 'viewer' | undefined): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const token = tokenOf(c);
    const user = token === undefined ? undefined : await users.sessionUser(token);
    if (user !== undefined) c.set('user', user);
    else if (anonymousRole !== undefined) c.set('user', { name: 'anonymous', role: anonymousRole });
    else
      throw new FareboxError(
        'unauthorized',
        token === undefined ? 'sign in first' : 'the session has expired or was ended: sign in again',
        {
          hint: 'POST /api/session {"name", "password"}; then send the token as `Authorization: Bearer <token>`',
        },
      );
    await next();
  };
}

export function requireRole(role: UserRole): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const user = c.get('user');
    if (rank[user.role] < rank[role])
      throw new FareboxError('forbidden', `this needs the ${role} role; ${user.name} is a ${user.role}`, {
        hint: 'ask an admin for an account with that role',
      });
    await next();
  };
}
