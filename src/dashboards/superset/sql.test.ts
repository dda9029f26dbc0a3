/**
 * The charts' SQL: the filters as Superset Jinja, in the datasets, and the column names and ORDER BY keys
 * read out of it.
 */
import { describe, expect, it } from 'vitest';
import { orderKeys, selectColumns, toSupersetSql } from './index.ts';
import { bundle, chartBy, datasetOf } from './testing.ts';

describe('the filters, as Superset Jinja', () => {
  it('turns {from} and {to} into the time range and {borough} into the Borough filter', () => {
    const { sql, filters } = toSupersetSql(
      "SELECT 1 FROM t WHERE at >= {from} AND at < {to} AND ({borough} = '' OR b = {borough});\n",
    );
    expect([...filters].sort()).toEqual(['borough', 'from', 'to']);
    expect(sql).not.toMatch(/\{(from|to|borough)\}/);
    expect(sql).toContain(
      `at >= parseDateTime64BestEffort('{{ from_dttm or "1970-01-01T00:00:00" }}', 3, 'UTC')`,
    );
    expect(sql).toContain(
      `at < parseDateTime64BestEffort('{{ to_dttm or "2100-01-01T00:00:00" }}', 3, 'UTC')`,
    );
    const borough = `{{ (filter_values('borough', remove_filter=True)[:1] or ['']) | where_in }}`;
    expect(sql).toContain(`(${borough} = '' OR b = ${borough})`);
    expect(sql.endsWith(')')).toBe(true);
    expect(toSupersetSql('SELECT 1').filters.size).toBe(0);
  });

  it("puts the translated SQL in each chart's dataset and says that Jinja must be on", () => {
    const ds = datasetOf(chartBy('Trips per minute'));
    expect(ds.sql).toContain('{{ from_dttm or');
    expect(ds.sql).toContain("filter_values('borough', remove_filter=True)");
    expect(String(ds.sql)).not.toMatch(/\{(from|to|borough)\}/);
    expect(bundle.summary.notes.join(' ')).toMatch(/ENABLE_TEMPLATE_PROCESSING/);
  });
});

describe('reading the SQL', () => {
  it('reads the column names of the first top-level SELECT', () => {
    expect(
      selectColumns(`-- a comment, FROM here
        SELECT DISTINCT toStartOfMinute(t) AS minute, a.b, round(x, 2) AS "y", 'a, FROM b' AS s, (SELECT 1) AS sub
        FROM t`)?.map((c) => c.name),
    ).toEqual(['minute', 'b', 'y', 's', 'sub']);
    expect(selectColumns('WITH w AS (SELECT 1 AS q) SELECT q AS n FROM w')?.map((c) => c.name)).toEqual([
      'n',
    ]);
    expect(selectColumns('SELECT * FROM t')).toBeUndefined();
    expect(selectColumns('SELECT count() FROM t')).toBeUndefined();
  });

  it('reads the ORDER BY keys', () => {
    expect(orderKeys('SELECT a FROM t ORDER BY a, b DESC LIMIT 3')).toEqual([
      { column: 'a', desc: false },
      { column: 'b', desc: true },
    ]);
    expect(orderKeys('SELECT a FROM (SELECT a FROM t ORDER BY a) ')).toEqual([]);
  });
});
