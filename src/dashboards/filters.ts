/**
 * A chart's filters: `{from}`, `{to}` and `{borough}` in its SQL become ClickHouse query parameters
 * (`{from:DateTime64(3)}` …), so values are bound by the server and never spliced into the SQL. Values are
 * checked first: a date that does not parse or a borough not in the zone table is a 400 naming the filter.
 */
import fs from 'node:fs';
import { FareboxError } from '../errors/index.ts';
import { sqlString, type Dialect } from '../warehouse/index.ts';

const types = { from: 'DateTime64(3)', to: 'DateTime64(3)', borough: 'String' } as const;
export type FilterName = keyof typeof types;
export const filterNames = Object.keys(types) as FilterName[];

/** Without a from or to, a chart covers all time; without a borough, every borough (''). */
const defaults: Record<FilterName, string> = {
  from: '1970-01-01 00:00:00.000',
  to: '2100-01-01 00:00:00.000',
  borough: '',
};

/**
 * A chart's SQL with its filters bound: as typed query parameters (`{from:DateTime64(3)}` …), only those
 * the SQL uses; on servers older than 22.8, which have no query parameters, as literals. The values were
 * checked by filterParams first (dates normalised, boroughs from the zone table) and are quoted anyway.
 */
export function bindFilters(
  sql: string,
  values: Record<FilterName, string>,
  dialect: Pick<Dialect, 'name'>,
): { sql: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const bound = sql.replace(/\{(from|to|borough)\}/g, (_, n: FilterName) => {
    if (dialect.name === 'legacy')
      return n === 'borough'
        ? sqlString(values[n])
        : `toDateTime(${sqlString(values[n].slice(0, 19))}, 'UTC')`;
    params[n] = values[n];
    return `{${n}:${types[n]}}`;
  });
  return { sql: bound, params };
}

function dateTime(filter: string, value: string): string {
  const m = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(value);
  // A time without an offset is UTC (JavaScript would read it in this machine's time zone).
  const iso =
    m === null
      ? ''
      : m[1] !== undefined && m[4] === undefined
        ? `${value.replace(' ', 'T')}Z`
        : value.replace(' ', 'T');
  const ms = m === null ? Number.NaN : Date.parse(iso);
  if (Number.isNaN(ms))
    throw new FareboxError('bad_request', `filter '${filter}' is not a date: '${value}'`, {
      where: filter,
      hint: 'ISO 8601, e.g. 2025-01-31 or 2025-01-31T08:00:00Z (UTC unless an offset is given)',
    });
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** Checked parameter values for a chart, from the request's query string. */
export function filterParams(
  query: Record<string, string | undefined>,
  boroughs: readonly string[],
): Record<FilterName, string> {
  const out = { ...defaults };
  const from = query.from;
  const to = query.to;
  const borough = query.borough;
  if (from !== undefined && from !== '') out.from = dateTime('from', from);
  if (to !== undefined && to !== '') out.to = dateTime('to', to);
  if (out.from > out.to)
    throw new FareboxError('bad_request', `filter 'from' (${out.from}) is after 'to' (${out.to})`, {
      where: 'from',
    });
  if (borough !== undefined && borough !== '') {
    if (!boroughs.includes(borough))
      throw new FareboxError('bad_request', `filter 'borough' has an unknown borough '${borough}'`, {
        where: 'borough',
        hint: `boroughs: ${boroughs.join(', ')}`,
      });
    out.borough = borough;
  }
  return out;
}

/** The boroughs of the TLC zone table (CSV: LocationID, Borough, Zone, service_zone). */
export function readBoroughs(zonesFile: string): string[] {
  const text = fs.readFileSync(zonesFile, 'utf8');
  const out = new Set<string>();
  for (const line of text.split(/\r?\n/).slice(1)) {
    const borough = /^[^,]*,"?([^",]*)"?,/.exec(line)?.[1];
    if (borough !== undefined && borough !== '') out.add(borough);
  }
  return [...out].sort();
}

/** RFC 4180 CSV: a header row, fields with a comma, quote or line break quoted, quotes doubled. */
export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const field = (v: unknown): string => {
    const s =
      v === null || v === undefined
        ? ''
        : typeof v === 'string'
          ? v
          : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
            ? String(v)
            : JSON.stringify(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const lines = [columns.map(field).join(',')];
  for (const r of rows) lines.push(columns.map((c) => field(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
