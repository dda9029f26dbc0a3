/**
 * Managing the dashboards' users through the API: roles and passwords changed by an admin, users removed,
 * the last admin kept, a user's own password change, and sign-in throttled after wrong passwords.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFixture, type Fixture } from './testing.ts';
import { signInThrottle } from './throttle.ts';

let f: Fixture;
let ada: string;
const patch = (name: string, body: unknown, token = ada) =>
  f.call(`/api/users/${name}`, { method: 'PATCH', token, body });
const remove = (name: string, token = ada) => f.call(`/api/users/${name}`, { method: 'DELETE', token });
const me = async (token: string) => (await f.call('/api/me', { token })).status;
const add = async (name: string, role: string) =>
  expect(
    (await f.call('/api/users', { token: ada, body: { name, password: `${name} password`, role } })).status,
  ).toBe(201);

beforeAll(async () => {
  f = await openFixture();
  ada = (await f.signIn('ada')).token;
});
afterAll(() => f.close());

describe('an admin managing users', () => {
  it("changes a user's role, in force at their next request without signing in again", async () => {
    await add('rita', 'viewer');
    const rita = (await f.signIn('rita', 'rita password')).token;
    expect((await f.call('/api/users', { token: rita })).status).toBe(403);
    const res = await patch('rita', { role: 'admin' });
    expect(res.status).toBe(200);
    expect((await f.json(res)).user).toEqual({ name: 'rita', role: 'admin' });
    expect((await f.call('/api/users', { token: rita })).status).toBe(200);
    expect((await patch('rita', { role: 'viewer' })).status).toBe(200);
    expect((await f.call('/api/users', { token: rita })).status).toBe(403);
  });

  it('sets a new password, which ends every session of the old one', async () => {
    await add('paul', 'viewer');
    const old = (await f.signIn('paul', 'paul password')).token;
    expect((await patch('paul', { password: 'a new password' })).status).toBe(200);
    expect(await me(old)).toBe(401);
    expect((await f.call('/api/session', { body: { name: 'paul', password: 'paul password' } })).status).toBe(
      401,
    );
    expect((await f.signIn('paul', 'a new password')).user).toEqual({ name: 'paul', role: 'viewer' });
  });

  it('removes a user, whose sessions end with them', async () => {
    await add('otto', 'editor');
    const otto = (await f.signIn('otto', 'otto password')).token;
    expect((await remove('otto')).status).toBe(200);
    expect(await me(otto)).toBe(401);
    const list = await f.json(await f.call('/api/users', { token: ada }));
    expect(list.users.map((u) => u.name)).not.toContain('otto');
  });

  it('never leaves the dashboards without an admin', async () => {
    const demote = await patch('ada', { role: 'editor' });
    expect(demote.status).toBe(409);
    const refusal = (await f.json(demote)).error;
    expect(refusal.code).toBe('conflict');
    expect(refusal.message).toBe('cannot make ada an editor: ada is the last admin');
    expect(refusal.hint).toContain('make another user an admin first');
    expect((await remove('ada')).status).toBe(409);
    expect(await me(ada)).toBe(200);
    // With a second admin, the first may go.
    await add('bea', 'admin');
    const bea = (await f.signIn('bea', 'bea password')).token;
    expect((await remove('bea', ada)).status).toBe(200);
    await add('bea', 'admin');
    const bea2 = (await f.signIn('bea', 'bea password')).token;
    expect(bea2).not.toBe(bea);
    expect((await patch('ada', { role: 'viewer' }, bea2)).status).toBe(200);
    expect((await remove('bea', bea2)).status).toBe(409);
    expect((await patch('ada', { role: 'admin' }, bea2)).status).toBe(200);
  });

  it('refuses bad changes, naming what is wrong, and changes nothing', async () => {
    const cases: [Response, number, string][] = [
      [await patch('nobody', { role: 'editor' }), 404, "no user 'nobody'"],
      [await remove('nobody'), 404, "no user 'nobody'"],
      [await patch('vic', { role: 'root' }), 400, `role must be viewer, editor or admin, got "root"`],
      [await patch('vic', {}), 400, 'send {role} or {password}'],
      [await patch('vic', { role: 'admin', password: 'short' }), 400, 'at least 8 characters'],
      [await patch('vic', { role: 'admin' }, (await f.signIn('vic')).token), 403, 'needs the admin role'],
      [await remove('ada', (await f.signIn('vic')).token), 403, 'needs the admin role'],
    ];
    for (const [res, status, message] of cases) {
      expect(res.status).toBe(status);
      expect((await f.json(res)).error.message).toContain(message);
    }
    // The refused password change did not make vic an admin.
    expect((await f.signIn('vic')).user).toEqual({ name: 'vic', role: 'viewer' });
  });
});

describe('a user changing their own password', () => {
  it('needs the current one, and keeps the caller signed in with a new session', async () => {
    await add('nina', 'viewer');
    const before = (await f.signIn('nina', 'nina password')).token;
    const other = (await f.signIn('nina', 'nina password')).token;
    const change = (body: unknown, token = before) => f.call('/api/me/password', { token, body });
    const wrong = await change({ current: 'not it at all', password: 'brand new pass' });
    expect(wrong.status).toBe(403);
    expect((await f.json(wrong)).error.message).toBe('the current password is wrong');
    const short = await change({ current: 'nina password', password: 'short' });
    expect(short.status).toBe(400);
    expect((await change({ current: 'nina password' })).status).toBe(400);
    const ok = await change({ current: 'nina password', password: 'brand new pass' });
    expect(ok.status).toBe(200);
    const { token } = await f.json(ok);
    expect(ok.headers.get('set-cookie')).toContain(`farebox_session=${token}`);
    expect(await me(token)).toBe(200);
    expect(await me(before)).toBe(401);
    expect(await me(other)).toBe(401);
    expect((await f.signIn('nina', 'brand new pass')).user).toEqual({ name: 'nina', role: 'viewer' });
  });

  it('is not for the anonymous demo viewer', async () => {
    const demo = await f.variant({ anonymousRole: 'viewer' });
    const res = await demo.request('/api/me/password', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ current: 'x', password: 'yyyyyyyy' }),
    });
    expect(res.status).toBe(403);
  });
});

describe('sign-in after wrong passwords', () => {
  it('refuses a name for a while after too many wrong passwords, even with the right one', async () => {
    const api = await f.variant({ signInThrottle: { limit: 3, windowMs: 60_000 } });
    const signIn = (name: string, password: string) =>
      api.request('/api/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, password }),
      });
    for (let i = 0; i < 3; i++) expect((await signIn('vic', `guess number ${i}`)).status).toBe(401);
    const locked = await signIn('vic', 'viewer pass');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(55);
    const body = (await locked.json()) as { error: { code: string; message: string; hint: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toBe("too many wrong passwords for 'vic'");
    expect(body.error.hint).toMatch(/^try again in \d+ s/);
    // An admin's new password lifts the hold at once.
    const reset = await api.request('/api/users/vic', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ada}` },
      body: JSON.stringify({ password: 'viewer pass' }),
    });
    expect(reset.status).toBe(200);
    expect((await signIn('vic', 'viewer pass')).status).toBe(200);
    // Another name is not held back, and a success forgets its failures.
    expect((await signIn('ada', 'wrong once')).status).toBe(401);
    expect((await signIn('ada', 'correct horse')).status).toBe(200);
  });
});

describe('signInThrottle', () => {
  it('lets a name try again once its oldest failure leaves the window', () => {
    let now = 0;
    const t = signInThrottle({ limit: 2, windowMs: 10_000 }, () => now);
    t.failed('a');
    now = 4_000;
    t.failed('a');
    expect(t.retryAfter('a')).toBe(6);
    expect(t.retryAfter('b')).toBe(0);
    now = 10_001;
    expect(t.retryAfter('a')).toBe(0);
    t.failed('a');
    expect(t.retryAfter('a')).toBe(4);
    t.succeeded('a');
    expect(t.retryAfter('a')).toBe(0);
  });

  it('keeps at most maxNames names, forgetting the oldest', () => {
    const t = signInThrottle({ limit: 1, windowMs: 60_000, maxNames: 2 }, () => 1);
    for (const name of ['a', 'b', 'c']) t.failed(name);
    expect(['a', 'b', 'c'].map((n) => t.retryAfter(n) > 0)).toEqual([false, true, true]);
  });
});
