/**
 * The API behind the dashboards web app: sign-in, users (admins only), SQL lab (lab-routes.ts), the
 * dashboards with their filters, charts saved from SQL lab (editors), and the web app itself (web.ts).
 * Every /api route but sign-in checks the caller's role (auth.ts); errors are
 * `{error: {code, message, hint?}}`.
 */
import { Hono, type Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { environment, type Config, type DashboardsConfig } from '../config/index.ts';
import { FareboxError, isFareboxError, type ErrorCode } from '../errors/index.ts';
import { errorBody } from '../ingest/index.ts';
import type { EventLog } from '../log/index.ts';
import type { OpsDb } from '../opsdb/index.ts';
import { runReadOnlyQuery, type QueryLimits, type Warehouse } from '../warehouse/index.ts';
import { authenticate, requireRole, sessionCookie, tokenOf, type AuthEnv } from './auth.ts';
import { bodyOf, text } from './body.ts';
import { addChart, loadDashboards, type Dashboard } from './definitions.ts';
import { bindFilters, filterParams, readBoroughs } from './filters.ts';
import { labRoutes } from './lab-routes.ts';
import { readSource, sourceDescriptions } from './sources.ts';
import { defaultSignInThrottle, signInThrottle, type SignInThrottleConfig } from './throttle.ts';
import { checkPasswordText, isRole, openUsers, type Session } from './users.ts';
import { webApp } from './web.ts';

export type DashboardsApiConfig = Pick<
  DashboardsConfig,
  'anonymousRole' | 'dir' | 'timeoutSeconds' | 'maxRows'
> &
  Partial<Pick<DashboardsConfig, 'webDir'>> & {
    /** The TLC zone table, whose boroughs the borough filter accepts. */
    zonesFile: string;
    /** The transform project, for the lineage chart. */
    projectDir: string;
    /** The sink's consumer group, for the lag chart. */
    group: string;
    /** The environment `env_var()` in the transform project reads. */
    env?: Readonly<Record<string, string | undefined>>;
    /** Failed sign-ins allowed per user name and window (5 in 15 minutes by default). */
    signInThrottle?: SignInThrottleConfig;
  };

/** The API's configuration out of farebox's. */
export function dashboardsApiConfig(config: Config): DashboardsApiConfig {
  return {
    ...config.dashboards,
    zonesFile: config.zonesFile,
    projectDir: config.orchestrate.projectDir,
    group: config.sink.group,
    env: environment(),
  };
}

export interface DashboardsApiDeps {
  warehouse: Warehouse;
  opsDb: OpsDb;
  /** The event log, for the consumer-lag chart. */
  log?: EventLog;
}

const statusOf: Partial<Record<ErrorCode, 400 | 401 | 403 | 404 | 409 | 429>> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  query_refused: 403,
  not_found: 404,
  warehouse: 400,
  transform_invalid: 400,
  query_cancelled: 409,
  conflict: 409,
  rate_limited: 429,
};

/** Base64 bytes as text for people: UTF-8 (invalid bytes as �), at most 200 characters. */
function decodeSample(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const text = Buffer.from(v, 'base64').toString('utf8');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
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
  const throttle = signInThrottle(config.signInThrottle ?? defaultSignInThrottle);
  /** Refuses `name` for a while after too many wrong passwords (sign-in, or a password change). */
  const checkThrottle = (c: Context, name: string) => {
    const wait = throttle.retryAfter(name);
    if (wait === 0) return;
    c.header('Retry-After', String(wait));
    throw new FareboxError('rate_limited', `too many wrong passwords for '${name}'`, {
      hint: `try again in ${wait} s, or ask an admin to set a new password on the Users page, which lifts this`,
    });
  };
  /** The session's token as a cookie and in the body. */
  const started = (c: Context, session: Session) => {
    setCookie(c, sessionCookie, session.token, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      expires: session.expiresAt,
    });
    return c.json({ token: session.token, user: session.user, expiresAt: session.expiresAt.toISOString() });
  };
  let boroughs: string[] | undefined;
  const boroughList = () => (boroughs ??= readBoroughs(config.zonesFile));
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
  const sourceDeps = {
    warehouse,
    opsDb: deps.opsDb,
    ...(deps.log === undefined ? {} : { log: deps.log }),
    group: config.group,
    projectDir: config.projectDir,
    env: config.env ?? {},
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
    checkThrottle(c, name);
    const session = await users.verify(name, password);
    if (session === undefined) {
      throttle.failed(name);
      throw new FareboxError('unauthorized', 'wrong user name or password');
    }
    throttle.succeeded(name);
    return started(c, session);
  });
  app.delete('/api/session', async (c) => {
    const token = tokenOf(c);
    if (token !== undefined) await users.endSession(token);
    deleteCookie(c, sessionCookie, { path: '/' });
    return c.json({ ok: true });
  });

  app.use('/api/*', authenticate(users, config.anonymousRole));
  app.get('/api/me', (c) => c.json({ user: c.get('user') }));
  app.post('/api/me/password', async (c) => {
    const { name } = c.get('user');
    if (name === 'anonymous' && config.anonymousRole !== undefined)
      throw new FareboxError('forbidden', 'the anonymous demo viewer has no password', {
        hint: 'sign in as a user',
      });
    const body = await bodyOf(c);
    const current = text(body, 'current');
    const password = text(body, 'password');
    checkThrottle(c, name);
    if (!(await users.changePassword(name, current, password))) {
      throttle.failed(name);
      throw new FareboxError('forbidden', 'the current password is wrong', { where: 'current' });
    }
    throttle.succeeded(name);
    // The change ended every session of the user, this one too: a new one keeps the caller signed in.
    const session = await users.verify(name, password);
    if (session === undefined) throw new FareboxError('internal', 'the new password did not sign in');
    return started(c, session);
  });

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
  app.patch('/api/users/:name', requireRole('admin'), async (c) => {
    const name = c.req.param('name');
    const body = await bodyOf(c);
    const { role, password } = body;
    if (role === undefined && password === undefined)
      throw new FareboxError('bad_request', 'send {role} or {password} (or both)', { where: 'body' });
    if (role !== undefined && !isRole(role))
      throw new FareboxError(
        'bad_request',
        `role must be viewer, editor or admin, got ${JSON.stringify(role)}`,
        {
          where: 'role',
        },
      );
    if (password !== undefined) checkPasswordText(text(body, 'password'));
    if (role !== undefined) await users.setRole(name, role);
    if (typeof password === 'string') {
      await users.setPassword(name, password);
      throttle.succeeded(name); // a password an admin chose: the user may sign in with it at once
    }
    const [user] = (await users.list()).filter((u) => u.name === name);
    if (user === undefined) throw new FareboxError('not_found', `no user '${name}'`, { where: 'name' });
    return c.json({ user: { name: user.name, role: user.role } });
  });
  app.delete('/api/users/:name', requireRole('admin'), async (c) => {
    await users.remove(c.req.param('name'));
    return c.json({ ok: true });
  });

  app.route('/', labRoutes(warehouse, { limits }, config.timeoutSeconds));

  app.get('/api/filters', (c) => c.json({ boroughs: boroughList() }));
  app.get('/api/dashboards', (c) =>
    c.json({
      dashboards: [...loadDashboards(config.dir).values()].map((d) => ({
        name: d.dashboard,
        title: d.title,
        charts: d.charts.length,
      })),
    }),
  );
  app.get('/api/dashboards/:name', (c) => {
    const d = known(loadDashboards(config.dir), c.req.param('name'));
    return c.json({
      ...d,
      charts: d.charts.map((ch) =>
        ch.source === undefined
          ? ch
          : { ...ch, description: ch.description ?? sourceDescriptions[ch.source] },
      ),
    });
  });
  app.post('/api/dashboards/:name/charts', requireRole('editor'), async (c) => addChartRoute(c));
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
    const params = filterParams(c.req.query(), boroughList());
    const result =
      chart.source !== undefined
        ? await readSource(chart.source, sourceDeps)
        : await runChartSql(chart.sql ?? '', limits(c.req.query('maxRows')), params);
    for (const column of chart.base64 ?? [])
      for (const row of result.rows) row[column] = decodeSample(row[column]);
    const { sql: _sql, ...shown } = chart;
    return c.json({ dashboard: d.dashboard, chart: shown, filters: params, ...result });
  });

  function runChartSql(sql: string, queryLimits: QueryLimits, values: ReturnType<typeof filterParams>) {
    const bound = bindFilters(sql, values, warehouse.dialect);
    return runReadOnlyQuery(warehouse, bound.sql, queryLimits, bound.params);
  }

  /** A chart from SQL lab: checked as part of its dashboard's file, and its SQL must run. */
  async function addChartRoute(c: Context<AuthEnv>) {
    const body = await bodyOf(c);
    const chart = body.chart;
    if (typeof chart !== 'object' || chart === null || Array.isArray(chart))
      throw new FareboxError('bad_request', 'send {chart: {name, title, type, sql, x?, y?}, title?}', {
        where: 'chart',
      });
    const { sql } = chart as { sql?: unknown };
    if (typeof sql === 'string')
      await runChartSql(
        sql,
        { maxRows: 1, timeoutSeconds: config.timeoutSeconds },
        filterParams({}, boroughList()),
      );
    const title = typeof body.title === 'string' && body.title.trim() !== '' ? body.title : undefined;
    const saved = addChart(config.dir, c.req.param('name') ?? '', chart as Record<string, unknown>, title);
    return c.json({ dashboard: saved.dashboard }, 201);
  }

  if (config.webDir !== undefined) app.route('/', webApp(config.webDir));
  return app;
}
