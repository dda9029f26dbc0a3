/** `farebox query "SQL"`: a read-only query, printed as a table, JSON or CSV. */
import type { Config } from '../config/index.ts';
import { FareboxError, type ErrorCode } from '../errors/index.ts';
import { runReadOnlyQuery, type QueryResult } from '../warehouse/index.ts';
import { openWarehouse } from '../warehouse/index.ts';
import { formatCsv, formatTable } from './format.ts';
import { callRunning, readRunInfo } from './run-file.ts';

export type QueryFormat = 'table' | 'json' | 'csv';

async function run(config: Config, sql: string): Promise<QueryResult> {
  const running = readRunInfo(config.home);
  if (running !== undefined) {
    const { status, json } = await callRunning<
      QueryResult & { error?: { code: ErrorCode; message: string; hint?: string } }
    >(running, '/v1/query', { sql });
    if (status !== 200)
      throw new FareboxError(json.error?.code ?? 'internal', json.error?.message ?? `status ${status}`, {
        hint: json.error?.hint,
      });
    return json;
  }
  const warehouse = await openWarehouse(config.warehouse);
  try {
    return await runReadOnlyQuery(warehouse, sql);
  } finally {
    await warehouse.close();
  }
}

export async function queryCommand(
  config: Config,
  sql: string,
  options: { format: QueryFormat },
): Promise<void> {
  const result = await run(config, sql);
  const names = result.columns.map((c) => c.name);
  if (options.format === 'json') process.stdout.write(`${JSON.stringify(result.rows)}\n`);
  else if (options.format === 'csv') process.stdout.write(`${formatCsv(names, result.rows)}\n`);
  else {
    process.stdout.write(`${formatTable(names, result.rows)}\n`);
    process.stderr.write(
      `${result.rows.length} row${result.rows.length === 1 ? '' : 's'}${result.truncated ? ' (cut at the row limit)' : ''} in ${result.elapsedMs} ms\n`,
    );
  }
}
