/**
 * Versioned warehouse migrations. Every statement is idempotent (IF NOT EXISTS), so a migration cut off
 * half-way is finished by the next start. Applied versions are recorded in `schema_migrations`.
 *
 * Raw tables are ReplacingMergeTree keyed so that the same event_id always has the same sort key and
 * partition: duplicates from producer retries collapse, and the reader views (`trips`, …) use FINAL so
 * readers never see them even before a merge. Sink retries are also absorbed by insert dedup tokens.
 */
import type { Warehouse } from './connection.ts';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

const meta = `
  flags Array(LowCardinality(String)),
  schema_id UInt32,
  schema_version UInt16,
  ingested_at DateTime64(3, 'UTC'),
  _topic LowCardinality(String),
  _partition UInt32,
  _offset UInt64`;

const dedupWindow = 'non_replicated_deduplication_window = 1000';

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'raw tables, dead letters, load ledger',
    statements: [
      `CREATE TABLE IF NOT EXISTS raw_trips (
        event_id String,
        event_time DateTime64(3, 'UTC'),
        trip_id String,
        vehicle_id Nullable(String),
        driver_id Nullable(String),
        taxi_kind LowCardinality(String),
        vendor_id Nullable(Int16),
        pickup_datetime DateTime64(3, 'UTC'),
        dropoff_datetime DateTime64(3, 'UTC'),
        passenger_count Nullable(Int16),
        trip_distance Float64,
        ratecode_id Nullable(Int16),
        store_and_fwd_flag Nullable(FixedString(1)),
        pu_location_id Int32,
        do_location_id Int32,
        payment_type Nullable(Int16),
        fare_amount Decimal(12, 2),
        extra Decimal(12, 2),
        mta_tax Decimal(12, 2),
        tip_amount Decimal(12, 2),
        tolls_amount Decimal(12, 2),
        improvement_surcharge Decimal(12, 2),
        total_amount Decimal(12, 2),
        congestion_surcharge Nullable(Decimal(12, 2)),
        airport_fee Nullable(Decimal(12, 2)),
        trip_type Nullable(Int16),
        ehail_fee Nullable(Decimal(12, 2)),
        cbd_congestion_fee Nullable(Decimal(12, 2)),${meta}
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(pickup_datetime)
      ORDER BY (taxi_kind, pickup_datetime, event_id)
      SETTINGS ${dedupWindow}`,
      `CREATE TABLE IF NOT EXISTS raw_vehicle_locations (
        event_id String,
        event_time DateTime64(3, 'UTC'),
        vehicle_id String,
        driver_id Nullable(String),
        lat Float64,
        lon Float64,
        speed_kmh Float32,
        heading_deg Float32,
        status LowCardinality(String),${meta}
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMMDD(event_time)
      ORDER BY (vehicle_id, event_time, event_id)
      SETTINGS ${dedupWindow}`,
      `CREATE TABLE IF NOT EXISTS raw_driver_documents (
        event_id String,
        event_time DateTime64(3, 'UTC'),
        driver_id String,
        vehicle_id Nullable(String),
        document_type LowCardinality(String),
        document_url String,
        document_sha256 FixedString(64),
        document_size UInt64,
        document_content_type LowCardinality(String),
        expires_on Nullable(Date),${meta}
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(event_time)
      ORDER BY (driver_id, event_time, event_id)
      SETTINGS ${dedupWindow}`,
      `CREATE TABLE IF NOT EXISTS dead_letters (
        topic LowCardinality(String),
        partition UInt32,
        offset UInt64,
        event_type LowCardinality(String),
        stage LowCardinality(String),
        reason String,
        raw_base64 String,
        key Nullable(String),
        headers Map(String, String),
        schema_id Nullable(UInt32),
        event_id Nullable(String),
        received_at DateTime64(3, 'UTC')
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(received_at)
      ORDER BY (topic, partition, offset)
      SETTINGS ${dedupWindow}`,
      `CREATE TABLE IF NOT EXISTS load_ledger (
        topic LowCardinality(String),
        partition UInt32,
        first_offset UInt64,
        last_offset UInt64,
        loaded UInt32,
        dead_lettered UInt32,
        loaded_at DateTime64(3, 'UTC')
      ) ENGINE = ReplacingMergeTree
      ORDER BY (topic, partition, first_offset)
      SETTINGS ${dedupWindow}`,
      `CREATE VIEW IF NOT EXISTS trips AS SELECT * EXCEPT (_topic, _partition, _offset) FROM raw_trips FINAL`,
      `CREATE VIEW IF NOT EXISTS vehicle_locations AS
        SELECT * EXCEPT (_topic, _partition, _offset) FROM raw_vehicle_locations FINAL`,
      `CREATE VIEW IF NOT EXISTS driver_documents AS
        SELECT * EXCEPT (_topic, _partition, _offset) FROM raw_driver_documents FINAL`,
    ],
  },
];

/** Applies the migrations not yet recorded; returns the versions applied now. */
export async function migrate(warehouse: Warehouse): Promise<number[]> {
  const { client } = warehouse;
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, applied_at DateTime64(3, 'UTC'))
      ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const done = await client.query({
    query: 'SELECT version FROM schema_migrations FINAL',
    format: 'JSONEachRow',
  });
  const applied = new Set((await done.json<{ version: number }>()).map((r) => Number(r.version)));
  const now: number[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    for (const query of m.statements) await client.command({ query });
    await client.insert({
      table: 'schema_migrations',
      values: [
        {
          version: m.version,
          name: m.name,
          applied_at: new Date().toISOString().replace('T', ' ').slice(0, 23),
        },
      ],
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: `migration-${m.version}-${Date.now()}` },
    });
    now.push(m.version);
  }
  return now;
}

/** Raw table per event type. */
export const rawTables = {
  trip_completed: 'raw_trips',
  vehicle_location: 'raw_vehicle_locations',
  driver_document: 'raw_driver_documents',
} as const;

/** The deduplicated view readers use, per event type. */
export const readerViews = {
  trip_completed: 'trips',
  vehicle_location: 'vehicle_locations',
  driver_document: 'driver_documents',
} as const;
