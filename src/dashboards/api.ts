/**
 * The API behind the dashboards web app: sign-in, the warehouse's schema, read-only SQL (JSON or CSV) with
 * a time and a row limit, dashboards and their charts with filters, and users (admins only). Every route
 * but sign-in checks the caller's role (auth.ts); errors are `{error: {code, message, hint?}}`.
 */
import { Hono, type Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { DashboardsConfig } from '../config/index.ts';
import { FareboxError, isFareboxError, type ErrorCode } from '../errors/index.ts';
import { errorBody } from '../ingest/index.ts';
import type { OpsDb } from '../opsdb/index.ts';
import { runReadOnlyQuery, type QueryResult, type Warehouse } from '../warehouse/index.ts';
import { authenticate, requireRole, sessionCookie, tokenOf, type AuthEnv } from './auth.ts';
import { loadDashboards, type Dashboard } from './definitions.ts';
import { bindPlaceholders, filterParams, readBoroughs, toCsv } from './filters.ts';
import { isRole, openUsers } from './users.ts';

export type DashboardsApiConfig = Pick<
  DashboardsConfig,
  'anonymousRole' | 'dir' | 'timeoutSeconds' | 'maxRows'
> & {
  /** The TLC zone table, whose boroughs the borough filter accepts. */
  zonesFile: string;
};

export interface DashboardsApiDeps {
  warehouse: Warehouse;
  opsDb: OpsDb;
}

const statusOf: Partial<Record<ErrorCode, 400 | 401 | 403 | 404>> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  query_refused: 403,
  not_found: 404,
  warehouse: 400,
};

/** A JSON (or form) body as a record; anything else is a 400. */
async function bodyOf(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  const body: unknown = type.includes('application/json')
    ? await c.req.json().catch(() => undefined)
    : type.includes('form')
      ? await c.req.parseBody()
      : undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new FareboxError('bad_request', 'send a JSON object body (Content-Type: application/json)');
  return body as Record<string, unknown>;
}

function text(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (typeof v !== 'string' || v.trim() === '')
    throw new FareboxError('bad_request', `missing field '${field}'`, { where: field });
  return v;
}

function known(dashboards: Map<string, Dashboard>, name: string): Dashboard {
  const d = dashboards.get(name);
  if (d === undefined)
    throw new FareboxError('not_found', `no dashboard '${name}'`, {
      hint: `dashboards: ${[...dashboards.keys()].join(', ') || '(none)'}`,
    });
  return d;
}

export async function createDashboardsApi(
  config: DashboardsApiConfig,
  deps: DashboardsApiDeps,
): Promise<Hono<AuthEnv>> {
  const { warehouse } = deps;
  const users = await openUsers(deps.opsDb);
  let boroughs: string[] | undefined;
  const limits = (maxRows?: unknown) => {
    if (
      maxRows !== undefined &&
      maxRows !== '' &&
      !(Number.isInteger(Number(maxRows)) && Number(maxRows) >= 1)
    )
      throw new FareboxError(
        'bad_request',
        `maxRows must be a whole number ≥ 1, got ${JSON.stringify(maxRows)}`,
        {
          where: 'maxRows',
        },
      );
    const wanted = maxRows === undefined || maxRows === '' ? config.maxRows : Number(maxRows);
    return { maxRows: Math.min(wanted, config.maxRows), timeoutSeconds: config.timeoutSeconds };
  };
  const sqlQuery = async (sql: unknown, maxRows: unknown): Promise<QueryResult> => {
    if (typeof sql !== 'string' || sql.trim() === '')
      throw new FareboxError('bad_request', "missing field 'sql'", { where: 'sql' });
    return runReadOnlyQuery(warehouse, sql, limits(maxRows));
  };

  const app = new Hono<AuthEnv>();
  app.onError((e, c) => {
    const status = isFareboxError(e) ? statusOf[e.code] : undefined;
    if (isFareboxError(e) && status !== undefined) return errorBody(c, status, e.code, e.message, e.hint);
    return errorBody(c, 500, 'internal', e instanceof Error ? e.message : String(e));
  });

  app.post('/api/session', async (c) => {
    const body = await bodyOf(c);
    const name = text(body, 'name');
    const password = text(body, 'password');
    const session = await users.verify(name, password);
    if (session === undefined) throw new FareboxError('unauthorized', 'wrong user name or password');
    setCookie(c, sessionCookie, session.token, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      expires: session.expiresAt,
    });
    return c.json({ token: session.token, user: session.user, expiresAt: session.expiresAt.toISOString() });
  });
  app.delete('/api/session', async (c) => {
    const token = tokenOf(c);
    if (token !== undefined) await users.endSession(token);
    deleteCookie(c, sessionCookie, { path: '/' });
    return c.json({ ok: true });
  });

  app.use('/api/*', authenticate(users, config.anonymousRole));
  app.get('/api/me', (c) => c.json({ user: c.get('user') }));

  app.get('/api/users', requireRole('admin'), async (c) => c.json({ users: await users.list() }));
  app.post('/api/users', requireRole('admin'), async (c) => {
    const body = await bodyOf(c);
    const role = text(body, 'role');
    if (!isRole(role))
      throw new FareboxError('bad_request', `role must be viewer, editor or admin, got '${role}'`, {
        where: 'role',
      });
    return c.json({ user: await users.add(text(body, 'name'), text(body, 'password'), role) }, 201);
  });

  app.get('/api/schema', async (c) => {
    const { rows } = await runReadOnlyQuery(
      warehouse,
      `SELECT table, name, type FROM system.columns WHERE database = currentDatabase() ORDER BY table, position`,
      { maxRows: 100_000, timeoutSeconds: config.timeoutSeconds },
    );
    const tables = new Map<string, { name: string; type: string }[]>();
    for (const r of rows) {
      const t = String(r.table);
      tables.set(t, [...(tables.get(t) ?? []), { name: String(r.name), type: String(r.type) }]);
    }
    return c.json({
      database: warehouse.database,
      tables: [...tables].map(([name, columns]) => ({ name, columns })),
    });
  });

  app.post('/api/query', async (c) => {
    const body = await bodyOf(c);
    return c.json(await sqlQuery(body.sql, body.maxRows));
  });
  const csv = (c: Context, result: QueryResult) =>
    c.body(
      toCsv(
        result.columns.map((col) => col.name),
        result.rows,
      ),
      200,
      {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': 'attachment; filename="query.csv"',
        'x-farebox-truncated': String(result.truncated),
      },
    );
  app.get('/api/query.csv', async (c) => csv(c, await sqlQuery(c.req.query('sql'), c.req.query('maxRows'))));
  app.post('/api/query.csv', async (c) => {
    const body = await bodyOf(c);
    return csv(c, await sqlQuery(body.sql, body.maxRows));
  });

  app.get('/api/dashboards', (c) =>
    c.json({
      dashboards: [...loadDashboards(config.dir).values()].map((d) => ({
        name: d.dashboard,
        title: d.title,
        charts: d.charts.length,
      })),
    }),
  );
  app.get('/api/dashboards/:name', (c) => c.json(known(loadDashboards(config.dir), c.req.param('name'))));
  app.get('/api/dashboards/:name/charts/:chart', async (c) => {
    const d = known(loadDashboards(config.dir), c.req.param('name'));
    const chart = d.charts.find((x) => x.name === c.req.param('chart'));
    if (chart === undefined)
      throw new FareboxError(
        'not_found',
        `dashboard '${d.dashboard}' has no chart '${c.req.param('chart')}'`,
        {
          hint: `charts: ${d.charts.map((x) => x.name).join(', ')}`,
        },
      );
    boroughs ??= readBoroughs(config.zonesFile);
    const params = filterParams(c.req.query(), boroughs);
    const result = await runReadOnlyQuery(
      warehouse,
      bindPlaceholders(chart.sql),
      limits(c.req.query('maxRows')),
      params,
    );
    const { sql: _sql, ...shown } = chart;
    return c.json({ dashboard: d.dashboard, chart: shown, filters: params, ...result });
  });
  return app;
}
