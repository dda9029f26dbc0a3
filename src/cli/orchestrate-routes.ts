/** The scheduler's HTTP API in `farebox up`: pipelines, run history, alerts, manual triggers and backfills. */
import { Hono } from 'hono';
import { isFareboxError } from '../errors/index.ts';
import { errorBody } from '../ingest/index.ts';
import type { Orchestrator } from './orchestrator.ts';

const time = (v: unknown): number | undefined => {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const t = new Date(v).getTime();
  return Number.isNaN(t) ? undefined : t;
};

export function orchestrateRoutes(o: Orchestrator): Hono {
  const app = new Hono();
  app.get('/v1/pipelines', (c) => c.json({ pipelines: o.pipelines }));
  app.get('/v1/runs', async (c) => {
    const pipeline = c.req.query('pipeline');
    const limit = Number(c.req.query('limit') ?? 50);
    const runs = await o.store.runs({ ...(pipeline === undefined ? {} : { pipeline }), limit });
    const withJobs = await Promise.all(
      runs.map(async (r) => ({ ...r, jobs: await o.store.jobRuns(r.pipeline, r.scheduledFor) })),
    );
    return c.json({ runs: withJobs });
  });
  app.get('/v1/alerts', async (c) =>
    c.json({ alerts: await o.store.alerts(Number(c.req.query('limit') ?? 50)) }),
  );
  app.post('/v1/pipelines/:name/trigger', async (c) => {
    try {
      const at = await o.scheduler.trigger(c.req.param('name'));
      return c.json({ pipeline: c.req.param('name'), scheduledFor: at }, 202);
    } catch (e) {
      if (isFareboxError(e, 'not_found')) return errorBody(c, 404, 'not_found', e.describe());
      if (isFareboxError(e, 'bad_request')) return errorBody(c, 409, 'bad_request', e.describe());
      throw e;
    }
  });
  app.post('/v1/pipelines/:name/backfill', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { from?: unknown; to?: unknown };
    const [from, to] = [time(body.from), time(body.to)];
    if (from === undefined || to === undefined || from > to)
      return errorBody(
        c,
        400,
        'bad_request',
        'give {"from": "2026-01-01T00:00:00Z", "to": "…"} with from ≤ to',
      );
    try {
      const times = await o.scheduler.backfill(c.req.param('name'), from, to);
      return c.json({ pipeline: c.req.param('name'), queued: times }, 202);
    } catch (e) {
      if (isFareboxError(e, 'not_found')) return errorBody(c, 404, 'not_found', e.describe());
      throw e;
    }
  });
  return app;
}
