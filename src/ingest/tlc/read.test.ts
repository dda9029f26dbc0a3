import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../config/index.ts';
import { tripCompletedV1, tripCompletedV2, type TripCompleted } from '../../contracts/index.ts';
import { isFareboxError } from '../../errors/index.ts';
import { nyLocalToInstant } from './convert.ts';
import { readTlcFile, type TlcRow } from './read.ts';

const data = path.resolve(repoRoot, '../shared/data');
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'farebox-tlc-'));

async function all(file: string): Promise<TlcRow[]> {
  const out: TlcRow[] = [];
  for await (const r of (await readTlcFile(file)).rows()) out.push(r);
  return out;
}
const events = (rows: TlcRow[]): TripCompleted[] => rows.flatMap((r) => ('event' in r ? [r.event] : []));
const cents = (xs: number[]): number => Math.round(xs.reduce((a, b) => a + Math.round(b * 100), 0)) / 100;

describe('TLC import', () => {
  it.each([
    ['yellow_tripdata_sample.csv', 'yellow 2019–2022', 1, 20_000, 342_054.06],
    ['yellow_tripdata_2025_sample.csv', 'yellow 2025+ (with cbd_congestion_fee)', 2, 6_000, 150_456.84],
    ['green_tripdata_sample.csv', 'green 2025+ (with cbd_congestion_fee)', 2, 9_764, 226_074.37],
  ])('reads %s as %s, every row, to the cent', async (file, layout, version, count, total) => {
    const tlc = await readTlcFile(path.join(data, file));
    expect(tlc.layout).toMatchObject({ name: layout, contractVersion: version, format: 'csv' });
    const rows = await all(path.join(data, file));
    const trips = events(rows);
    expect(rows).toHaveLength(count);
    expect(trips).toHaveLength(count);
    expect(cents(trips.map((t) => t.total_amount))).toBe(total);
    const schema = version === 2 ? tripCompletedV2 : tripCompletedV1;
    for (const t of trips.slice(0, 500)) expect(schema.safeParse(t).success).toBe(true);
  });

  it('turns New York wall-clock times into instants with the right offset', async () => {
    expect(nyLocalToInstant('2019-01-15 03:36:12')).toBe('2019-01-15T03:36:12-05:00');
    expect(nyLocalToInstant('2025-07-04 21:00:00')).toBe('2025-07-04T21:00:00-04:00');
    const [first] = events(await all(path.join(data, 'yellow_tripdata_sample.csv')));
    expect(first).toMatchObject({
      pickup_datetime: '2019-01-15T03:36:12-05:00',
      taxi_kind: 'yellow',
      vendor_id: 1,
      congestion_surcharge: null,
      airport_fee: null,
      trip_type: null,
    });
    expect(first).not.toHaveProperty('cbd_congestion_fee');
  });

  it('keeps ids stable across reads, so a re-import is absorbed', async () => {
    const file = path.join(data, 'green_tripdata_sample.csv');
    const a = events(await all(file)).slice(0, 50);
    const b = events(await all(file)).slice(0, 50);
    expect(a.map((t) => t.event_id)).toEqual(b.map((t) => t.event_id));
    expect(new Set(a.map((t) => t.event_id)).size).toBe(50);
    expect(a[0]?.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a[0]?.trip_id).toBe('tlc-green-green_tripdata_sample-2');
  });

  it('refuses a file whose columns match no layout, listing what is missing', async () => {
    const file = path.join(tmp, 'broken.csv');
    await fs.writeFile(
      file,
      'VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,fare_amount\n1,2019-01-01 00:00:00,2019-01-01 00:10:00,5\n',
    );
    await expect(readTlcFile(file)).rejects.toSatisfy(
      (e) =>
        isFareboxError(e, 'import_layout') &&
        e.message.includes('closest is yellow 2019–2022: missing passenger_count, trip_distance'),
    );
  });

  it('gives an unparseable row as an error with its line, keeping the rest', async () => {
    const src = (await fs.readFile(path.join(data, 'yellow_tripdata_sample.csv'), 'utf8'))
      .split('\n')
      .slice(0, 4);
    src[2] = (src[2] ?? '').replace(/2019-01-25 18:20:32/, 'yesterday');
    src.push('1,2,3');
    const file = path.join(tmp, 'garbled.csv');
    await fs.writeFile(file, `${src.join('\n')}\n`);
    const rows = await all(file);
    expect(rows.map((r) => ('error' in r ? `${r.line}: ${r.error}` : 'ok'))).toEqual([
      'ok',
      "3: column tpep_pickup_datetime: 'yesterday' is not a time like 2019-01-15 03:36:12",
      'ok',
      '5: line has 3 fields, the header has 18',
    ]);
    expect(rows[1]).toMatchObject({ raw: expect.stringContaining('yesterday') as unknown });
  });

  it('reads Parquet with TLC types the same as the CSV', async () => {
    const csvFile = path.join(data, 'green_tripdata_sample.csv');
    const records = parse<Record<string, string>>(await fs.readFile(csvFile, 'utf8'), {
      columns: true,
    }).slice(0, 500);
    const ints = new Set([
      'VendorID',
      'RatecodeID',
      'PULocationID',
      'DOLocationID',
      'passenger_count',
      'payment_type',
      'trip_type',
    ]);
    const columnData = Object.keys(records[0] ?? {}).map((name) => {
      const raw = records.map((r) => r[name] ?? '');
      if (name.endsWith('_datetime'))
        return {
          name,
          type: 'TIMESTAMP' as const,
          data: raw.map((v) => new Date(`${v.replace(' ', 'T')}Z`)),
        };
      if (name === 'store_and_fwd_flag')
        return { name, type: 'STRING' as const, data: raw.map((v) => (v === '' ? null : v)) };
      if (ints.has(name))
        return { name, type: 'INT64' as const, data: raw.map((v) => (v === '' ? null : BigInt(v))) };
      return { name, type: 'DOUBLE' as const, data: raw.map((v) => (v === '' ? null : Number(v))) };
    });
    const file = path.join(tmp, 'green_tripdata_sample.parquet');
    await fs.writeFile(file, Buffer.from(parquetWriteBuffer({ columnData, rowGroupSize: 128 })));
    const tlc = await readTlcFile(file);
    expect(tlc.layout.format).toBe('parquet');
    expect(tlc.progress).toMatchObject({ total: 500, unit: 'rows' });
    const fromParquet = events(await all(file));
    const fromCsv = events(await all(csvFile)).slice(0, 500);
    expect(fromParquet).toHaveLength(500);
    const strip = ({ event_id: _a, trip_id: _b, ...t }: TripCompleted) => t;
    expect(fromParquet.map(strip)).toEqual(fromCsv.map(strip));
  });
});
