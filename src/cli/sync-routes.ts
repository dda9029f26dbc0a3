/** Reverse-ETL syncs over the control API of `farebox up`, which holds the warehouse and the ops DB. */
import { Hono } from 'hono';
import type { Config } from '../config/index.ts';
import { isFareboxError } from '../errors/index.ts';
import { errorBody } from '../ingest/index.ts';
import type { EventLog } from '../log/index.ts';
import type { OpsDb } from '../opsdb/index.ts';
import { listRuns } from '../reverse-etl/index.ts';
import type { Warehouse } from '../warehouse/index.ts';
import { syncsOf } from './project.ts';
import { runSyncOn, syncNamed } from './syncs.ts';

export function syncRoutes(
  config: Config,
  engines: { warehouse: Warehouse; opsDb: OpsDb; log: EventLog },
): Hono {
  const app = new Hono();
  const named = (name: string) => syncNamed(syncsOf(config), name);
  app.get('/v1/syncs', (c) => c.json({ syncs: syncsOf(config) }));
  app.get('/v1/syncs/:name/runs', async (c) => {
    try {
      const def = named(c.req.param('name'));
      const limit = Math.min(1000, Math.max(1, Number(c.req.query('limit') ?? 20) || 20));
      return c.json({ runs: await listRuns(engines.warehouse, def.name, limit) });
    } catch (e) {
      if (isFareboxError(e, 'not_found')) return errorBody(c, 404, e.code, e.message, e.hint);
      throw e;
    }
  });
  app.post('/v1/syncs/:name/run', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { acceptSchemaChange?: unknown };
    try {
      const def = named(c.req.param('name'));
      return c.json(await runSyncOn(def, engines, { acceptSchemaChange: body.acceptSchemaChange === true }));
    } catch (e) {
      if (!isFareboxError(e)) throw e;
      const status: 404 | 409 = e.code === 'not_found' ? 404 : 409;
      return errorBody(c, status, e.code, e.message, e.hint);
    }
  });
  return app;
}
