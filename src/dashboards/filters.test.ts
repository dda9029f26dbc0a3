/** Binding a chart's filters: query parameters on current servers, quoted literals on old ones. */
import { describe, expect, it } from 'vitest';
import { bindFilters, filterParams } from './filters.ts';

const sql = "SELECT count() FROM t WHERE at >= {from} AND at < {to} AND ({borough} = '' OR b = {borough})";
const values = filterParams({ from: '2025-02-01', to: '2025-03-01T06:30:00Z', borough: 'Queens' }, [
  'Queens',
]);

describe('bindFilters', () => {
  it('makes typed query parameters of the filters the SQL uses, and only those', () => {
    expect(bindFilters(sql, values, { name: 'current' })).toEqual({
      sql: "SELECT count() FROM t WHERE at >= {from:DateTime64(3)} AND at < {to:DateTime64(3)} AND ({borough:String} = '' OR b = {borough:String})",
      params: { from: '2025-02-01 00:00:00.000', to: '2025-03-01 06:30:00.000', borough: 'Queens' },
    });
    expect(bindFilters('SELECT 1', values, { name: 'current' }).params).toEqual({});
  });

  it('writes quoted literals for servers without query parameters', () => {
    expect(bindFilters(sql, values, { name: 'legacy' })).toEqual({
      sql: "SELECT count() FROM t WHERE at >= toDateTime('2025-02-01 00:00:00', 'UTC') AND at < toDateTime('2025-03-01 06:30:00', 'UTC') AND ('Queens' = '' OR b = 'Queens')",
      params: {},
    });
    const odd = filterParams({ borough: "O'Hare \\ x" }, ["O'Hare \\ x"]);
    expect(bindFilters('SELECT {borough}', odd, { name: 'legacy' }).sql).toBe("SELECT 'O\\'Hare \\\\ x'");
  });
});
