/**
 * The behaviour every warehouse must have: run against chDB here, and against a ClickHouse server by the
 * tests of the real-engines issue. Each run uses its own database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventTypes } from '../contracts/index.ts';
import { isFareboxError } from '../errors/index.ts';
import { rowColumns } from '../preload/index.ts';
import type { Warehouse } from './connection.ts';
import { migrate, rawTables } from './migrations.ts';
import { runReadOnlyQuery } from './query.ts';

const encoder = new TextEncoder();
const body = (rows: unknown[][]): Uint8Array => encoder.encode(rows.map((r) => JSON.stringify(r)).join('\n'));

/** A raw_vehicle_locations row in rowColumns order. */
function ping(eventId: string, ms: number, offset: number): unknown[] {
  return [
    eventId,
    ms,
    'veh-1',
    null,
    40.75,
    -73.99,
    31.5,
    90,
    'hired',
    ['outside_nyc'],
    7,
    1,
    ms,
    'vehicle_location',
    0,
    offset,
  ];
}

export function describeWarehouseContract(
  name: string,
  make: () => Promise<{ warehouse: Warehouse; cleanup: () => Promise<void> }>,
): void {
  describe(`warehouse contract: ${name}`, () => {
    let warehouse: Warehouse;
    let cleanup: () => Promise<void>;
    const count = async (sql: string): Promise<number> => {
      const r = await warehouse.client.query({ query: sql, format: 'JSONEachRow' });
      return Number(Object.values((await r.json<Record<string, string>>())[0] ?? {})[0]);
    };
    beforeAll(async () => {
      ({ warehouse, cleanup } = await make());
      await migrate(warehouse);
    });
    afterAll(async () => {
      await warehouse.close();
      await cleanup();
    });

    it('migrates once: a second run applies nothing', async () => {
      expect(await migrate(warehouse)).toEqual([]);
    });

    it('has exactly the raw-table columns pre-load fills, in its order', async () => {
      for (const type of eventTypes) {
        const r = await warehouse.client.query({
          query: `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = '${rawTables[type]}'`,
          format: 'JSONEachRow',
        });
        const names = (await r.json<{ name: string }>()).map((c) => c.name);
        expect(names, rawTables[type]).toEqual(rowColumns[type]);
      }
    });

    it('reads epoch milliseconds into DateTime64 (whole seconds on a legacy server) and cents into Decimal exactly', async () => {
      const ms = Date.UTC(2025, 0, 5, 23, 59, 58, 123);
      const trip: Record<string, unknown> = {
        event_id: '0194b6a0-0000-7000-8000-0000000000a1',
        event_time: ms,
        trip_id: 't-a1',
        taxi_kind: 'yellow',
        pickup_datetime: ms - 600_000,
        dropoff_datetime: ms,
        trip_distance: 1.2,
        pu_location_id: 1,
        do_location_id: 2,
        fare_amount: 0.3, // what pre-load makes of 0.1 + 0.2
        extra: 1234567.89,
        mta_tax: -0.5,
        tip_amount: 0,
        tolls_amount: 0,
        improvement_surcharge: 1,
        total_amount: 1234568.69,
        congestion_surcharge: null,
        flags: ['zero_passengers'],
        schema_id: 2,
        schema_version: 2,
        ingested_at: ms,
        _topic: 'trip_completed',
        _partition: 0,
        _offset: 1,
      };
      await warehouse.insertEncoded({
        table: rawTables.trip_completed,
        columns: rowColumns.trip_completed,
        body: body([rowColumns.trip_completed.map((c) => trip[c] ?? null)]),
      });
      const r = await warehouse.client.query({
        query: `SELECT toString(pickup_datetime) AS p, toString(dropoff_datetime) AS d, toInt32(fare_amount * 100) AS f,
                       toInt32(extra * 100) AS x, toInt32(mta_tax * 100) AS m, toUInt8(fare_amount + extra + mta_tax + improvement_surcharge = total_amount) AS adds_up,
                       congestion_surcharge, flags
                FROM trips WHERE event_id = '0194b6a0-0000-7000-8000-0000000000a1'`,
        format: 'JSONEachRow',
      });
      const shown = (text: string) => (warehouse.dialect.name === 'legacy' ? text.slice(0, 19) : text);
      expect(await r.json()).toEqual([
        {
          p: shown('2025-01-05 23:49:58.123'),
          d: shown('2025-01-05 23:59:58.123'),
          f: 30,
          x: 123456789,
          m: -50,
          adds_up: 1,
          congestion_surcharge: null,
          flags: ['zero_passengers'],
        },
      ]);
    });

    it('absorbs a retried insert: once per dedup token, and readers see each event once', async () => {
      const rows = [1, 2, 3].map((i) => ping(`0194b6a0-0000-7000-8000-0000000000b${i}`, Date.now(), 10 + i));
      const insert = (token: string) =>
        warehouse.insertEncoded({
          table: 'raw_vehicle_locations',
          columns: rowColumns.vehicle_location,
          body: body(rows),
          settings: { insert_deduplication_token: token },
        });
      await insert('contract-token-1');
      await insert('contract-token-1');
      const raw = `SELECT count() FROM raw_vehicle_locations WHERE _offset BETWEEN 11 AND 13`;
      // Servers before 22.2 have no dedup tokens: there the reader view alone absorbs the retry.
      const legacy = warehouse.dialect.name === 'legacy';
      expect(await count(raw)).toBe(legacy ? 6 : 3);
      // A new token is a new insert; readers still see each event id once.
      await insert('contract-token-2');
      expect(await count(raw)).toBe(legacy ? 9 : 6);
      expect(await count(`SELECT count() FROM vehicle_locations WHERE event_id LIKE '%0000000000b_'`)).toBe(
        3,
      );
    });

    it('runs people’s queries read-only', async () => {
      const ok = await runReadOnlyQuery(warehouse, 'SELECT 1 AS one');
      expect(ok.rows).toEqual([{ one: 1 }]);
      await expect(runReadOnlyQuery(warehouse, 'DROP TABLE raw_trips')).rejects.toSatisfy((e) =>
        isFareboxError(e, 'query_refused'),
      );
      expect(
        await count(
          "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'raw_trips'",
        ),
      ).toBe(1);
      // Read-only mode still lets a query change settings: a SETTINGS clause would lift the limits.
      await expect(
        runReadOnlyQuery(warehouse, 'SELECT count() FROM numbers(10) SETTINGS max_execution_time = 0'),
      ).rejects.toSatisfy((e) => isFareboxError(e, 'query_refused'));
      const settings = await runReadOnlyQuery(
        warehouse,
        "SELECT count() AS n FROM system.settings WHERE name = 'max_execution_time'",
      );
      expect(Number(settings.rows[0]?.n)).toBe(1); // UInt64: a string from old servers
    });
  });
}
