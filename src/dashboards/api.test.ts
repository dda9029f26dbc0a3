/**
 * The dashboards API on chDB and an in-memory PGlite: sign-in and roles, schema, read-only SQL with its
 * limits and refusals, CSV, and the dashboards of dashboards/ with their filters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardsApi, type DashboardsApiConfig } from './index.ts';
import { openFixture, type Fixture } from './testing.ts';

let f: Fixture;
let adminToken: string;
let config: DashboardsApiConfig;
const call: Fixture['call'] = (route, init) => f.call(route, init);
const json: Fixture['json'] = (res) => f.json(res);
const signIn = (name: string, password: string) => f.signIn(name, password);

beforeAll(async () => {
  f = await openFixture();
  config = f.config;
  adminToken = (await signIn('ada', 'correct horse')).token;
});
afterAll(() => f.close());

describe('sign-in and roles', () => {
  it('signs in with a token and an HttpOnly SameSite=Strict cookie', async () => {
    const res = await call('/api/session', { body: { name: 'vic', password: 'viewer pass' } });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.user).toEqual({ name: 'vic', role: 'viewer' });
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toContain(`farebox_session=${body.token}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const me = await f.app.request('/api/me', { headers: { cookie: `farebox_session=${body.token}` } });
    expect((await json(me)).user).toEqual({ name: 'vic', role: 'viewer' });
  });

  it('refuses wrong credentials without saying which was wrong, and names a missing field', async () => {
    const wrongPassword = await call('/api/session', { body: { name: 'vic', password: 'nope nope' } });
    const wrongName = await call('/api/session', { body: { name: 'nobody', password: 'viewer pass' } });
    expect(wrongPassword.status).toBe(401);
    expect(wrongName.status).toBe(401);
    expect((await json(wrongPassword)).error.message).toBe((await json(wrongName)).error.message);
    const missing = await call('/api/session', { body: { name: 'vic' } });
    expect(missing.status).toBe(400);
    expect((await json(missing)).error.message).toContain("'password'");
  });

  it('needs a session: none, a bad one or an ended one is a 401', async () => {
    expect((await call('/api/me')).status).toBe(401);
    expect((await call('/api/schema', { token: 'made-up' })).status).toBe(401);
    const { token } = await signIn('vic', 'viewer pass');
    expect((await call('/api/session', { method: 'DELETE', token })).status).toBe(200);
    expect((await call('/api/me', { token })).status).toBe(401);
  });

  it('lets anyone in as a viewer with the demo flag, and no further', async () => {
    const demo = await createDashboardsApi(
      { ...config, anonymousRole: 'viewer' },
      { warehouse: f.warehouse, opsDb: f.db },
    );
    expect(await (await demo.request('/api/me')).json()).toEqual({
      user: { name: 'anonymous', role: 'viewer' },
    });
    expect((await demo.request('/api/users')).status).toBe(403);
  });

  it('keeps users to admins: a viewer gets a 403 naming the role; an admin adds a user', async () => {
    const { token } = await signIn('vic', 'viewer pass');
    const refused = await call('/api/users', { token });
    expect(refused.status).toBe(403);
    const refusal = (await json(refused)).error;
    expect(refusal.code).toBe('forbidden');
    expect(refusal.message).toContain('needs the admin role');
    const created = await call('/api/users', {
      token: adminToken,
      body: { name: 'eve', password: 'editor pass', role: 'editor' },
    });
    expect(created.status).toBe(201);
    expect((await signIn('eve', 'editor pass')).user).toEqual({ name: 'eve', role: 'editor' });
    const list = await json(await call('/api/users', { token: adminToken }));
    expect(list.users.map((u: { name: string }) => u.name)).toEqual(['ada', 'eve', 'vic']);
    const badRole = await call('/api/users', {
      token: adminToken,
      body: { name: 'x', password: 'xxxxxxxx', role: 'root' },
    });
    expect(badRole.status).toBe(400);
    const again = await call('/api/users', {
      token: adminToken,
      body: { name: 'eve', password: 'editor pass', role: 'viewer' },
    });
    expect((await json(again)).error.message).toContain('already exists');
  });
});

describe('schema and SQL', () => {
  it('lists the tables and columns of the warehouse', async () => {
    const body = await json(await call('/api/schema', { token: adminToken }));
    expect(body.database).toBe('farebox');
    const fct = body.tables.find((t: { name: string }) => t.name === 'fct_trips');
    expect(fct?.columns[0]).toEqual({ name: 'pickup_at', type: "DateTime64(3, 'UTC')" });
  });

  it('runs a query, and cuts it at maxRows, never above the configured limit', async () => {
    const res = await call('/api/query', {
      token: adminToken,
      body: { sql: 'SELECT number FROM numbers(10)' },
    });
    const body = await json(res);
    expect(body).toMatchObject({ columns: [{ name: 'number', type: 'UInt64' }], truncated: false });
    expect(body.rows).toHaveLength(10);
    const cut = await json(
      await call('/api/query', {
        token: adminToken,
        body: { sql: 'SELECT number FROM numbers(10)', maxRows: 3 },
      }),
    );
    expect(cut.rows).toHaveLength(3);
    expect(cut.truncated).toBe(true);
    const capped = await json(
      await call('/api/query', {
        token: adminToken,
        body: { sql: 'SELECT number FROM numbers(1000)', maxRows: 5000 },
      }),
    );
    expect(capped.rows).toHaveLength(100);
    expect(
      (await call('/api/query', { token: adminToken, body: { sql: 'SELECT 1', maxRows: -1 } })).status,
    ).toBe(400);
  });

  it('refuses writes with a 403 and keeps the table', async () => {
    const res = await call('/api/query', { token: adminToken, body: { sql: 'DROP TABLE fct_trips' } });
    expect(res.status).toBe(403);
    const refusal = (await json(res)).error;
    expect(refusal.code).toBe('query_refused');
    expect(refusal.message).toContain('read-only');
    const count = await json(
      await call('/api/query', { token: adminToken, body: { sql: 'SELECT count() AS n FROM fct_trips' } }),
    );
    expect(count.rows.map((r) => Number(r.n))).toEqual([3]);
  });

  it('answers 400 to an SQL error and to empty SQL', async () => {
    const res = await call('/api/query', { token: adminToken, body: { sql: 'SELECT nope FROM fct_trips' } });
    expect(res.status).toBe(400);
    expect((await json(res)).error.message).toMatch(/nope/);
    expect((await call('/api/query', { token: adminToken, body: { sql: '  ' } })).status).toBe(400);
    // A model not built yet (right after `npm start`) gets a hint at how to build it, not just "check the SQL".
    const missing = await json(
      await call('/api/query', { token: adminToken, body: { sql: 'SELECT count() FROM driver_daily' } }),
    );
    expect(missing.error.hint).toContain('orchestrate trigger');
  });

  it('stops a query at the time limit with a clear error', async () => {
    const quick = await createDashboardsApi(
      { ...config, timeoutSeconds: 1 },
      { warehouse: f.warehouse, opsDb: f.db },
    );
    const res = await quick.request('/api/query', {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT count() FROM numbers(1e12)' }),
    });
    expect(res.status).toBe(400);
    expect((await json(res)).error.message).toContain('time limit of 1 s');
  });

  it('downloads CSV with a header and correct quoting, and refuses writes there too', async () => {
    const q = encodeURIComponent('SELECT pu_zone, fare_amount FROM fct_trips ORDER BY pickup_at LIMIT 1');
    const res = await call(`/api/query.csv?sql=${q}`, { token: adminToken });
    expect(res.headers.get('content-type'), await res.clone().text()).toContain('text/csv');
    expect(await res.text()).toBe('pu_zone,fare_amount\r\n"Midtown, ""Center""",12.5\r\n');
    const drop = await call(`/api/query.csv?sql=${encodeURIComponent('DROP TABLE fct_trips')}`, {
      token: adminToken,
    });
    expect(drop.status).toBe(403);
  });
});

describe('dashboards', () => {
  it('lists the dashboards of dashboards/ and 404s an unknown one, naming the known', async () => {
    const list = await json(await call('/api/dashboards', { token: adminToken }));
    expect(list.dashboards.map((d: { name: string }) => d.name)).toEqual(['fleet', 'lineage', 'pipeline']);
    const one = await json(await call('/api/dashboards/fleet', { token: adminToken }));
    expect(one.charts.length).toBeGreaterThan(3);
    const missing = await call('/api/dashboards/nope', { token: adminToken });
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.hint).toContain('fleet, lineage, pipeline');
  });

  it('runs every chart of every dashboard', async () => {
    for (const name of ['fleet', 'lineage', 'pipeline']) {
      const d = await json(await call(`/api/dashboards/${name}`, { token: adminToken }));
      for (const chart of d.charts as { name: string }[]) {
        const res = await call(`/api/dashboards/${name}/charts/${chart.name}`, { token: adminToken });
        expect(res.status, `${name}/${chart.name}: ${JSON.stringify(await res.clone().json())}`).toBe(200);
      }
    }
  });

  it('applies filters as bound parameters', async () => {
    const all = await json(
      await call('/api/dashboards/fleet/charts/trips_per_minute', { token: adminToken }),
    );
    expect(all.rows.map((r) => Number(r.trips))).toEqual([1, 2]); // the newest minute first
    const filtered = await json(
      await call(
        '/api/dashboards/fleet/charts/trips_per_minute?from=2025-01-01&to=2025-01-02&borough=Queens',
        { token: adminToken },
      ),
    );
    expect(filtered.rows.map((r) => [r.minute, Number(r.trips)])).toEqual([['2025-01-01 08:00:00', 1]]);
    expect(filtered.filters).toEqual({
      from: '2025-01-01 00:00:00.000',
      to: '2025-01-02 00:00:00.000',
      borough: 'Queens',
    });
  });

  it('answers 400 naming a malformed filter', async () => {
    const badDate = await call('/api/dashboards/fleet/charts/trips_per_minute?from=yesterday', {
      token: adminToken,
    });
    expect(badDate.status).toBe(400);
    expect((await json(badDate)).error.message).toContain("'from'");
    const badBorough = await call(
      `/api/dashboards/fleet/charts/trips_per_minute?borough=${encodeURIComponent("x' OR 1=1 --")}`,
      { token: adminToken },
    );
    expect(badBorough.status).toBe(400);
    expect((await json(badBorough)).error.message).toContain("'borough'");
    expect((await call('/api/dashboards/fleet/charts/nope', { token: adminToken })).status).toBe(404);
  });
});
