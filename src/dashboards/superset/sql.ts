/**
 * A chart's SQL: the filters `{from}`, `{to}` and `{borough}` as Superset Jinja, and the columns (and the
 * ORDER BY keys) read out of it.
 */

export type FilterName = 'from' | 'to' | 'borough';

/**
 * The Jinja each filter becomes. `from_dttm`/`to_dttm` are the chart's time range as ISO strings (None
 * without one: farebox's defaults then, all time); `filter_values('borough')` the Borough filter's values,
 * quoted by `where_in` with the ClickHouse dialect (one value: `('Queens')`, a plain string in ClickHouse),
 * and taken out of the outer query (`remove_filter`) since the inner one applies it.
 */
export const supersetFilterJinja: Record<FilterName, string> = {
  from: `parseDateTime64BestEffort('{{ from_dttm or "1970-01-01T00:00:00" }}', 3, 'UTC')`,
  to: `parseDateTime64BestEffort('{{ to_dttm or "2100-01-01T00:00:00" }}', 3, 'UTC')`,
  borough: `{{ (filter_values('borough', remove_filter=True)[:1] or ['']) | where_in }}`,
};

/** A chart's SQL with `{from}`, `{to}` and `{borough}` as Superset Jinja, and which of them it used. */
export function toSupersetSql(sql: string): { sql: string; filters: Set<FilterName> } {
  const filters = new Set<FilterName>();
  const out = sql.replace(/\{(from|to|borough)\}/g, (_m, name: FilterName) => {
    filters.add(name);
    return supersetFilterJinja[name];
  });
  return { sql: out.trim().replace(/;\s*$/, ''), filters };
}

export interface SelectColumn {
  name: string;
  /** The expression behind the name (the name itself for a plain column). */
  expression: string;
}

/** The SQL without comments, string literals blanked (same length), for scanning. */
function blank(sql: string): string {
  let out = '';
  for (let i = 0; i < sql.length;) {
    const c = sql[i];
    const two = sql.slice(i, i + 2);
    if (two === '--') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (two === '/*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === "'") {
      let j = i + 1;
      while (j < sql.length && sql[j] !== "'") j += sql[j] === '\\' ? 2 : 1;
      out += `'${'_'.repeat(Math.max(0, Math.min(j, sql.length) - i - 1))}'`;
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out.slice(0, sql.length);
}

/** Positions of a keyword at parenthesis depth 0 (whole words, any case). */
function topLevel(scan: string, keyword: string): number[] {
  const out: number[] = [];
  let depth = 0;
  const re = new RegExp(`^${keyword}\\b`, 'i');
  for (let i = 0; i < scan.length; i++) {
    const c = scan[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && /\w/.test(c ?? '') && !/\w/.test(scan[i - 1] ?? '') && re.test(scan.slice(i)))
      out.push(i);
  }
  return out;
}

/**
 * The columns the query returns, read from its first top-level SELECT list: `expr AS name`, or a plain
 * (possibly qualified) column. Undefined when a column has no name to read (`*`, an expression without AS).
 */
export function selectColumns(sql: string): SelectColumn[] | undefined {
  const scan = blank(sql);
  const select = topLevel(scan, 'select')[0];
  if (select === undefined) return undefined;
  const from = topLevel(scan, 'from').find((i) => i > select) ?? scan.length;
  let start = select + 'select'.length;
  const distinct = /^\s+distinct\b/i.exec(scan.slice(start, from));
  if (distinct !== null) start += distinct[0].length;
  const items: [number, number][] = [];
  let depth = 0;
  let itemStart = start;
  for (let i = start; i < from; i++) {
    const c = scan[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      items.push([itemStart, i]);
      itemStart = i + 1;
    }
  }
  items.push([itemStart, from]);
  const out: SelectColumn[] = [];
  for (const [a, b] of items) {
    const text = sql.slice(a, b).trim();
    const scanned = scan.slice(a, b).trim();
    const alias = /\s+as\s+([`"]?)([A-Za-z_][\w]*)\1\s*$/i.exec(scanned);
    if (alias !== null) {
      out.push({ name: alias[2] ?? '', expression: text.slice(0, alias.index).trim() });
      continue;
    }
    const plain = /^(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*)$/.exec(scanned);
    if (plain === null) return undefined;
    out.push({ name: plain[1] ?? '', expression: text });
  }
  return out;
}

/** The keys of the query's top-level ORDER BY that are plain columns, in order. */
export function orderKeys(sql: string): { column: string; desc: boolean }[] {
  const scan = blank(sql);
  const at = topLevel(scan, 'order').at(-1);
  if (at === undefined) return [];
  const by = /^order\s+by\s+/i.exec(scan.slice(at));
  if (by === null) return [];
  const end = topLevel(scan, 'limit').find((i) => i > at) ?? scan.length;
  return scan
    .slice(at + by[0].length, end)
    .split(',')
    .flatMap((key) => {
      const m = /^\s*([`"]?)([A-Za-z_]\w*)\1(?:\s+(asc|desc))?\s*$/i.exec(key);
      return m === null ? [] : [{ column: m[2] ?? '', desc: m[3]?.toLowerCase() === 'desc' }];
    });
}

/** A column that holds a point in time, judged from its name and expression. */
export function looksTemporal(column: SelectColumn): boolean {
  const e = column.expression.replace(/\s+/g, '');
  if (/^(toStartOf\w+|toDate\w*|toDateTime\w*|parseDateTime\w*|now\w*|date_trunc|toMonday)\(/i.test(e))
    return true;
  // The value of max(x), min(x), any(x), argMax(x, by)…, or the column itself.
  const inner = /^\w+\(([A-Za-z_][\w.]*)[,)]/.exec(e)?.[1] ?? e;
  return /(^|[._])(at|time|date|datetime|timestamp)$/i.test(inner);
}
