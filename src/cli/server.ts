/** The HTTP server of `farebox up`: the ingest gateway, the control API the CLI talks to, a status page. */
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { AuthEnv } from '../dashboards/index.ts';
import { isFareboxError } from '../errors/index.ts';
import { createGateway, errorBody, requireToken, type Producer } from '../ingest/index.ts';
import { collectStatus, runReadOnlyQuery } from '../warehouse/index.ts';
import type { Engines } from './engines.ts';
import type { Orchestrator } from './orchestrator.ts';
import { orchestrateRoutes } from './orchestrate-routes.ts';
import { statusPage } from './status-page.ts';
import { syncRoutes } from './sync-routes.ts';

export interface ServerDeps {
  engines: Engines;
  producer: Producer;
  tokens: string[];
  /** Live counters of this process (rates), merged into /v1/status. */
  live: () => Record<string, unknown>;
  /** The scheduler of this process, for /v1/pipelines, /v1/runs and /v1/alerts. */
  orchestrator?: Orchestrator;
  /** The dashboards API (its routes are under /api and check their own sessions and roles). */
  dashboards?: Hono<AuthEnv>;
}

export function createApp(deps: ServerDeps): Hono {
  const { engines } = deps;
  const config = engines.config;
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true }));
  if (deps.dashboards === undefined) app.get('/', (c) => c.html(statusPage));
  app.route(
    '/',
    createGateway(
      { tokens: deps.tokens, maxBodyBytes: config.ingest.maxBodyBytes },
      { producer: deps.producer },
    ),
  );
  app.use('/v1/status', requireToken(deps.tokens));
  app.use('/v1/query', requireToken(deps.tokens));
  if (deps.orchestrator !== undefined) {
    for (const route of ['/v1/pipelines', '/v1/pipelines/*', '/v1/runs', '/v1/alerts'])
      app.use(route, requireToken(deps.tokens));
    app.route('/', orchestrateRoutes(deps.orchestrator));
    if (engines.warehouse !== undefined) {
      for (const route of ['/v1/syncs', '/v1/syncs/*']) app.use(route, requireToken(deps.tokens));
      app.route(
        '/',
        syncRoutes(config, {
          warehouse: engines.warehouse,
          opsDb: deps.orchestrator.opsDb,
          log: engines.log,
        }),
      );
    }
  }
  if (deps.dashboards !== undefined) app.route('/', deps.dashboards);
  app.get('/v1/status', async (c) => {
    const warehouse = engines.warehouse;
    if (warehouse === undefined) return errorBody(c, 503, 'internal', 'no warehouse in this process');
    return c.json({ ...(await collectStatus(engines.log, warehouse, config.sink.group)), live: deps.live() });
  });
  app.post('/v1/query', async (c) => {
    const warehouse = engines.warehouse;
    if (warehouse === undefined) return errorBody(c, 503, 'internal', 'no warehouse in this process');
    const body = (await c.req.json().catch(() => undefined)) as { sql?: unknown } | undefined;
    if (typeof body?.sql !== 'string' || body.sql.trim() === '')
      return errorBody(c, 400, 'bad_request', 'send a JSON body {"sql": "SELECT …"}');
    try {
      return c.json(await runReadOnlyQuery(warehouse, body.sql));
    } catch (e) {
      if (isFareboxError(e, 'query_refused')) return errorBody(c, 403, e.code, e.message, e.hint);
      if (isFareboxError(e, 'warehouse')) return errorBody(c, 400, e.code, e.message, e.hint);
      throw e;
    }
  });
  return app;
}

export async function listen(
  app: Hono,
  host: string,
  port: number,
): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
      resolve({ server, url: `http://${host.includes(':') ? `[${host}]` : host}:${info.port}` });
    });
    server.once('error', reject);
  });
}
