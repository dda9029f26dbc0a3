/**
 * The four queries of Mark Litwintschik's "billion taxi rides" benchmark, on the same rows in chDB and in
 * DuckDB (`@duckdb/node-api`). In chDB they read the model fct_trips (cab_type is its taxi_kind: yellow or
 * green); DuckDB gets every row and column of fct_trips, exported by chDB as Parquet and loaded into a
 * native table of a DuckDB database file (times as TIMESTAMP in UTC, as ClickHouse holds them). Both
 * engines run with their default threads and are warm (each query runs once before it is timed); runs
 * alternate between the engines, so that the other work on the machine weighs on both alike. Times are
 * from the call in JavaScript to the rows in JavaScript (a few rows each: the engines' own time).
 */
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Warehouse } from '../../src/warehouse/index.ts';

export interface TaxiQuery {
  name: string;
  chdb: string;
  duckdb: string;
  /** The DuckDB query whose answer must equal chDB's, when it is not the timed one. */
  duckdbCheck?: string;
}

/**
 * Each engine runs the queries as written for it, with its own round(). ClickHouse's round() of a Float64
 * breaks ties to the even number (2.5 → 2), DuckDB's away from zero (2.5 → 3), and distances here have two
 * decimals, so Q4's groups differ at the ties: its answers are compared with DuckDB's round_even(), which
 * rounds as ClickHouse does (and takes about 1.6 times as long as its round(), so it is not what is timed).
 */
export const taxiQueries: TaxiQuery[] = [
  {
    name: 'Q1 count by cab type',
    chdb: 'SELECT taxi_kind AS cab_type, count(*) AS trips FROM fct_trips GROUP BY cab_type',
    duckdb: 'SELECT taxi_kind AS cab_type, count(*) AS trips FROM fct_trips GROUP BY cab_type',
  },
  {
    name: 'Q2 average total by passengers',
    chdb: 'SELECT passenger_count, avg(total_amount) AS avg_total FROM fct_trips GROUP BY passenger_count',
    duckdb: 'SELECT passenger_count, avg(total_amount) AS avg_total FROM fct_trips GROUP BY passenger_count',
  },
  {
    name: 'Q3 count by passengers, year',
    chdb: `SELECT passenger_count, toYear(pickup_at) AS year, count(*) AS trips
           FROM fct_trips GROUP BY passenger_count, year`,
    duckdb: `SELECT passenger_count, year(pickup_at) AS year, count(*) AS trips
             FROM fct_trips GROUP BY passenger_count, year`,
  },
  {
    name: 'Q4 count by passengers, year, distance',
    chdb: `SELECT passenger_count, toYear(pickup_at) AS year, round(trip_distance_miles) AS distance,
                  count(*) AS trips
           FROM fct_trips GROUP BY passenger_count, year, distance ORDER BY year, count(*) DESC`,
    duckdb: `SELECT passenger_count, year(pickup_at) AS year, round(trip_distance_miles) AS distance,
                    count(*) AS trips
             FROM fct_trips GROUP BY passenger_count, year, distance ORDER BY year, count(*) DESC`,
    duckdbCheck: `SELECT passenger_count, year(pickup_at) AS year, round_even(trip_distance_miles, 0) AS distance,
                         count(*) AS trips
                  FROM fct_trips GROUP BY passenger_count, year, distance ORDER BY year, count(*) DESC`,
  },
];

export interface TaxiEngines {
  chdb(sql: string): Promise<unknown[][]>;
  duckdb(sql: string): Promise<unknown[][]>;
  duckdbVersion: string;
  /** Seconds to export the Parquet file and to load it into DuckDB. */
  exportMs: number;
  loadMs: number;
  duckdbTypes: string;
  close(): void;
}

/** Exports fct_trips from chDB to Parquet in `dir` and loads it into a DuckDB database file there. */
export async function openTaxiEngines(warehouse: Warehouse, dir: string): Promise<TaxiEngines> {
  const parquet = path.join(dir, 'fct_trips.parquet');
  let t = performance.now();
  await warehouse.client.command({
    query: `INSERT INTO FUNCTION file('${parquet}', 'Parquet') SELECT * FROM fct_trips`,
  });
  const exportMs = performance.now() - t;
  const instance = await DuckDBInstance.create(path.join(dir, 'taxi.duckdb'));
  const duck: DuckDBConnection = await instance.connect();
  await duck.run("SET TimeZone = 'UTC'");
  t = performance.now();
  // ClickHouse writes DateTime64(3, 'UTC') as instants (TIMESTAMP WITH TIME ZONE in DuckDB), whose year()
  // goes through ICU's calendar; the same UTC times as plain TIMESTAMP are what ClickHouse's are.
  const zoned = (await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${parquet}')`))
    .getRowObjectsJson()
    .filter((c) => c.column_type === 'TIMESTAMP WITH TIME ZONE')
    .map((c) => `CAST(${c.column_name as string} AS TIMESTAMP) AS ${c.column_name as string}`);
  await duck.run(
    `CREATE TABLE fct_trips AS SELECT *${zoned.length === 0 ? '' : ` REPLACE (${zoned.join(', ')})`}
     FROM read_parquet('${parquet}')`,
  );
  await duck.run('CHECKPOINT');
  const loadMs = performance.now() - t;
  const types = await duck.runAndReadAll(
    `SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY column_index)
     FROM duckdb_columns() WHERE table_name = 'fct_trips'
       AND column_name IN ('taxi_kind', 'passenger_count', 'total_amount', 'pickup_at', 'trip_distance_miles')`,
  );
  const version = await duck.runAndReadAll('SELECT version()');
  return {
    async chdb(sql) {
      const r = await warehouse.client.query({ query: sql, format: 'JSONCompact' });
      return ((await r.json()) as unknown as { data: unknown[][] }).data;
    },
    async duckdb(sql) {
      return (await duck.runAndReadAll(sql)).getRowsJson();
    },
    duckdbVersion: String(version.getRows()[0]?.[0]),
    exportMs,
    loadMs,
    duckdbTypes: String(types.getRows()[0]?.[0]),
    close() {
      duck.closeSync();
      instance.closeSync();
    },
  };
}

/** A result as sorted text rows, numbers to 6 decimals: the same answer gives the same text. */
export function canonical(rows: unknown[][]): string[] {
  return rows
    .map((r) =>
      r
        .map((v) =>
          v === null
            ? 'NULL'
            : typeof v === 'string' && Number.isNaN(Number(v))
              ? v
              : String(Math.round(Number(v) * 1e6) / 1e6),
        )
        .join('|'),
    )
    .sort();
}

export interface QueryTiming {
  name: string;
  rows: number;
  /** Sum of the last column (counts, or averages for Q2): a quick look that both agree. */
  sum: number;
  /** chDB's answer equals DuckDB's (its check query's, for Q4), row for row. */
  same: boolean;
  /** Rows of chDB's answer that DuckDB's timed query does not return as they are (Q4: the ties). */
  differingTimed: number;
  chdbMs: number[];
  duckdbMs: number[];
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const out = await f();
  return [out, performance.now() - t];
}

/** Each query: once per engine to warm up and compare, then `runs` timed runs, alternating engines. */
export async function runTaxiQueries(engines: TaxiEngines, runs: number): Promise<QueryTiming[]> {
  const out: QueryTiming[] = [];
  for (const q of taxiQueries) {
    const a = await engines.chdb(q.chdb);
    const b = await engines.duckdb(q.duckdb);
    const checked = q.duckdbCheck === undefined ? b : await engines.duckdb(q.duckdbCheck);
    const ca = canonical(a);
    const timedAnswer = new Set(canonical(b));
    const timing: QueryTiming = {
      name: q.name,
      rows: a.length,
      sum: a.reduce((s, r) => s + Number(r[r.length - 1]), 0),
      same: ca.join('\n') === canonical(checked).join('\n'),
      differingTimed: ca.filter((r) => !timedAnswer.has(r)).length,
      chdbMs: [],
      duckdbMs: [],
    };
    for (let i = 0; i < runs; i++) {
      timing.chdbMs.push((await timed(() => engines.chdb(q.chdb)))[1]);
      timing.duckdbMs.push((await timed(() => engines.duckdb(q.duckdb)))[1]);
    }
    out.push(timing);
  }
  return out;
}
