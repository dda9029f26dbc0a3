/**
 * SQL lab's routes: the warehouse's schema (for the browser and completion), read-only SQL as JSON or CSV
 * with a time and a row limit, and Cancel. A query may carry an id of the caller's choosing; it runs under
 * a ClickHouse query_id that also names the user, so that one user cannot cancel another's query.
 */
import { Hono, type Context } from 'hono';
import { FareboxError } from '../errors/index.ts';
import { cancelQuery, runReadOnlyQuery, type QueryResult, type Warehouse } from '../warehouse/index.ts';
import type { AuthEnv } from './auth.ts';
import { bodyOf } from './body.ts';
import { toCsv } from './filters.ts';

export interface LabLimits {
  /** The row limit and time limit for this call (a caller may ask for fewer rows, never more). */
  limits(maxRows?: unknown): { maxRows: number; timeoutSeconds: number };
}

const idPattern = /^[A-Za-z0-9-]{8,64}$/;

function queryIdOf(c: Context<AuthEnv>, id: unknown): string | undefined {
  if (id === undefined || id === '') return undefined;
  if (typeof id !== 'string' || !idPattern.test(id))
    throw new FareboxError(
      'bad_request',
      'queryId must be 8 to 64 letters, digits or dashes (a UUID will do)',
      {
        where: 'queryId',
      },
    );
  // The user's name goes in hex: ClickHouse takes any query_id text, and hex keeps it unambiguous.
  return `lab-${Buffer.from(c.get('user').name).toString('hex')}-${id}`;
}

export function labRoutes(warehouse: Warehouse, lab: LabLimits, schemaTimeoutSeconds: number): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const sqlQuery = async (c: Context<AuthEnv>, sql: unknown, maxRows: unknown, id?: unknown) => {
    if (typeof sql !== 'string' || sql.trim() === '')
      throw new FareboxError('bad_request', "missing field 'sql'", { where: 'sql' });
    const queryId = queryIdOf(c, id);
    return runReadOnlyQuery(warehouse, sql, {
      ...lab.limits(maxRows),
      ...(queryId === undefined ? {} : { queryId }),
    });
  };
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

  app.get('/api/schema', async (c) => {
    const { rows } = await runReadOnlyQuery(
      warehouse,
      `SELECT table, name, type FROM system.columns WHERE database = currentDatabase() ORDER BY table, position`,
      { maxRows: 100_000, timeoutSeconds: schemaTimeoutSeconds },
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
    return c.json(await sqlQuery(c, body.sql, body.maxRows, body.queryId));
  });
  app.get('/api/query.csv', async (c) =>
    csv(c, await sqlQuery(c, c.req.query('sql'), c.req.query('maxRows'))),
  );
  app.post('/api/query.csv', async (c) => {
    const body = await bodyOf(c);
    return csv(c, await sqlQuery(c, body.sql, body.maxRows, body.queryId));
  });
  app.delete('/api/query/:id', async (c) => {
    const queryId = queryIdOf(c, c.req.param('id')) ?? '';
    return c.json({ cancelled: await cancelQuery(warehouse, queryId) });
  });
  return app;
}
