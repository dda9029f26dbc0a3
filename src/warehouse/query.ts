/** Read-only queries for people (`farebox query`, later SQL lab): ClickHouse's readonly setting, limits. */
import { FareboxError } from '../errors/index.ts';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Warehouse } from './connection.ts';

const queryTag = (id: string): string => `farebox-query:${id}`;

export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: Record<string, unknown>[];
  /** True when the row limit cut the result. */
  truncated: boolean;
  elapsedMs: number;
}

export interface QueryLimits {
  maxRows: number;
  timeoutSeconds: number;
  /** ClickHouse's query_id, so that `cancelQuery` can stop it. */
  queryId?: string;
}

const defaultLimits: QueryLimits = { maxRows: 10_000, timeoutSeconds: 30 };

export async function runReadOnlyQuery(
  warehouse: Warehouse,
  sql: string,
  limits: QueryLimits = defaultLimits,
  /** Values of `{name:Type}` placeholders in the SQL, bound by ClickHouse (never spliced into the text). */
  params?: Record<string, unknown>,
): Promise<QueryResult> {
  // read-only mode 2 lets a query change settings: a SETTINGS clause could lift the limits below.
  if (/\bsettings\s+[a-z_][a-z0-9_]*\s*=/i.test(sql))
    throw new FareboxError(
      'query_refused',
      'a SETTINGS clause is refused here: farebox sets the limits of read-only queries',
      {
        hint: `queries here stop after ${limits.timeoutSeconds} s and ${limits.maxRows} rows; narrow the query instead`,
      },
    );
  const started = Date.now();
  return warehouse.withReader((reader) => run(reader, warehouse, sql, limits, started, params));
}

async function run(
  reader: ClickHouseClient,
  warehouse: Warehouse,
  sql: string,
  limits: QueryLimits,
  started: number,
  params: Record<string, unknown> | undefined,
): Promise<QueryResult> {
  // The tag lets cancelQuery find the query on chDB, which does not keep the query_id it is given.
  const tag = limits.queryId === undefined ? '' : `/* ${queryTag(limits.queryId)} */ `;
  try {
    const result = await reader.query({
      query: tag + sql.trim().replace(/;\s*$/, ''),
      // JSONCompact (names and types in `meta`) is read by every ClickHouse version farebox supports.
      format: 'JSONCompact',
      ...(params === undefined ? {} : { query_params: params }),
      ...(limits.queryId === undefined ? {} : { query_id: limits.queryId }),
      clickhouse_settings: {
        readonly: '2',
        max_execution_time: limits.timeoutSeconds,
        max_result_rows: String(limits.maxRows + 1),
        result_overflow_mode: 'break',
      },
    });
    const { meta, data } = (await result.json()) as unknown as {
      meta: { name: string; type: string }[];
      data: unknown[][];
    };
    const columns = meta.map((m) => ({ name: m.name, type: m.type }));
    const rows = data.slice(0, limits.maxRows).map((values) => {
      const row: Record<string, unknown> = {};
      columns.forEach((c, i) => (row[c.name] = values[i]));
      return row;
    });
    return { columns, rows, truncated: data.length > limits.maxRows, elapsedMs: Date.now() - started };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const readonly = /readonly mode|READONLY/i.test(message) || (e as { code?: string }).code === '164';
    const timeout = /Timeout exceeded/i.test(message) || (e as { code?: string }).code === '159';
    const unknownTable =
      /Unknown table|UNKNOWN_TABLE|Table \S+ doesn't exist/i.test(message) ||
      (e as { code?: string }).code === '60';
    const cancelled =
      /QUERY_WAS_CANCELLED|was cancelled/i.test(message) || (e as { code?: string }).code === '394';
    if ((timeout || cancelled) && warehouse.kind === 'chdb')
      // chDB hands the stopped query's unfinished output to the connection's next query: take it here.
      await reader
        .query({ query: 'SELECT 1', format: 'JSONCompact' })
        .then((r) => r.text())
        .catch(() => undefined);
    if (cancelled)
      throw new FareboxError('query_cancelled', 'query cancelled', { cause: e, where: limits.queryId });
    if (timeout)
      throw new FareboxError(
        'warehouse',
        `query stopped: it ran past the time limit of ${limits.timeoutSeconds} s (${message.trim()})`,
        { cause: e, where: 'max_execution_time', hint: 'narrow the query: fewer rows, a tighter WHERE' },
      );
    throw new FareboxError(
      readonly ? 'query_refused' : 'warehouse',
      readonly
        ? `refused: queries here are read-only (${message.trim()})`
        : `query failed: ${message.trim()}`,
      {
        cause: e,
        hint: readonly
          ? 'farebox query runs SELECT, SHOW, DESCRIBE and EXPLAIN only'
          : unknownTable
            ? 'is it built yet? The transform models (fct_trips, agg_zone_hourly, …) come from their pipeline ' +
              '(`npx farebox orchestrate trigger taxi` runs it now) or `npx farebox transform build`; ' +
              '`farebox query "SHOW TABLES"` lists what there is'
            : 'check the SQL; `farebox query "SHOW TABLES"` lists the tables',
      },
    );
  }
}

/**
 * Stops a running query by its query_id (`KILL QUERY … ASYNC`, on the writing client: a read-only one may
 * not kill). True when ClickHouse found the query.
 */
export async function cancelQuery(warehouse: Warehouse, queryId: string): Promise<boolean> {
  const r = await warehouse.client.query({
    query: `KILL QUERY WHERE query_id = {id:String}
      OR (position(query, {tag:String}) > 0 AND position(query, 'KILL QUERY') = 0) ASYNC`,
    format: 'JSONEachRow',
    query_params: { id: queryId, tag: queryTag(queryId) },
  });
  return (await r.json()).length > 0;
}
