/**
 * Running a data test: its SQL selects the failing rows; dbt's get_test_sql counts them with fail_calc and
 * compares the count with warn_if / error_if. A sample of the failing rows is kept for the report.
 */
import type { Db } from './sql.ts';
import type { TestNode } from './types.ts';

export type TestStatus = 'pass' | 'fail' | 'warn';

export interface TestOutcome {
  status: TestStatus;
  failures: number;
  message: string | null;
  /** Up to `sampleRows` failing rows. */
  sample: Record<string, unknown>[];
}

const text = (v: unknown, fallback: string): string =>
  typeof v === 'string' && v.trim() !== '' ? v : fallback;

export function testQuery(node: TestNode, sql: string): string {
  const c = node.config;
  const failCalc = text(c.fail_calc, 'count(*)');
  const limit = typeof c.limit === 'number' ? `\nlimit ${c.limit}` : '';
  return [
    'select',
    `  ${failCalc} as failures,`,
    `  ${failCalc} ${text(c.warn_if, '!= 0')} as should_warn,`,
    `  ${failCalc} ${text(c.error_if, '!= 0')} as should_error`,
    `from (\n${sql}${limit}\n) dbt_internal_test`,
  ].join('\n');
}

const truthy = (v: unknown): boolean => v === true || v === 'true' || Number(v) > 0;

export async function runTest(db: Db, node: TestNode, sql: string, sampleRows = 5): Promise<TestOutcome> {
  const [row] = await db.rows<{ failures: unknown; should_warn: unknown; should_error: unknown }>(
    testQuery(node, sql),
  );
  const failures = Number(row?.failures ?? 0);
  const severity = text(node.config.severity, 'ERROR').toUpperCase();
  const status: TestStatus =
    severity === 'ERROR' && truthy(row?.should_error) ? 'fail' : truthy(row?.should_warn) ? 'warn' : 'pass';
  if (status === 'pass') return { status, failures, message: null, sample: [] };
  const sample = await db.rows(`select * from (\n${sql}\n) dbt_internal_test limit ${sampleRows}`);
  const rule = status === 'fail' ? text(node.config.error_if, '!= 0') : text(node.config.warn_if, '!= 0');
  return {
    status,
    failures,
    message: `Got ${failures} result${failures === 1 ? '' : 's'}, configured to ${status} if ${rule}`,
    sample,
  };
}
