/**
 * The warehouse's tables as data: columns with their ClickHouse types, engine, partitioning and sort key.
 * Migrations render them as SQL for the server's dialect (dialect.ts); inserts look up column types here.
 *
 * Raw tables are ReplacingMergeTree keyed so that the same event_id always has the same sort key and
 * partition: duplicates from producer retries collapse, and the reader views (`trips`, …) use FINAL so
 * readers never see them even before a merge. Sink retries are also absorbed by insert dedup tokens.
 */

export interface Column {
  name: string;
  /** The type in current ClickHouse SQL; dialect.ts maps it for older servers. */
  type: string;
}

export interface TableDef {
  name: string;
  columns: Column[];
  engine: string;
  partitionBy?: string;
  orderBy: string;
  /** Insert deduplication for tables the sink writes with dedup tokens. */
  dedup: boolean;
}

const cols = (spec: string): Column[] =>
  spec
    .trim()
    .split(/,\n/)
    .map((line) => {
      const [name = '', ...type] = line.trim().split(/\s+/);
      return { name, type: type.join(' ') };
    });

const meta = `
  flags Array(LowCardinality(String)),
  schema_id UInt32,
  schema_version UInt16,
  ingested_at DateTime64(3, 'UTC'),
  _topic LowCardinality(String),
  _partition UInt32,
  _offset UInt64`;

const money = 'Decimal(12, 2)';

export const rawTrips: TableDef = {
  name: 'raw_trips',
  columns: cols(`
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
    fare_amount ${money},
    extra ${money},
    mta_tax ${money},
    tip_amount ${money},
    tolls_amount ${money},
    improvement_surcharge ${money},
    total_amount ${money},
    congestion_surcharge Nullable(${money}),
    airport_fee Nullable(${money}),
    trip_type Nullable(Int16),
    ehail_fee Nullable(${money}),
    cbd_congestion_fee Nullable(${money}),${meta}`),
  engine: 'ReplacingMergeTree',
  partitionBy: 'toYYYYMM(pickup_datetime)',
  orderBy: '(taxi_kind, pickup_datetime, event_id)',
  dedup: true,
};

export const rawVehicleLocations: TableDef = {
  name: 'raw_vehicle_locations',
  columns: cols(`
    event_id String,
    event_time DateTime64(3, 'UTC'),
    vehicle_id String,
    driver_id Nullable(String),
    lat Float64,
    lon Float64,
    speed_kmh Float32,
    heading_deg Float32,
    status LowCardinality(String),${meta}`),
  engine: 'ReplacingMergeTree',
  partitionBy: 'toYYYYMMDD(event_time)',
  orderBy: '(vehicle_id, event_time, event_id)',
  dedup: true,
};

export const rawDriverDocuments: TableDef = {
  name: 'raw_driver_documents',
  columns: cols(`
    event_id String,
    event_time DateTime64(3, 'UTC'),
    driver_id String,
    vehicle_id Nullable(String),
    document_type LowCardinality(String),
    document_url String,
    document_sha256 FixedString(64),
    document_size UInt64,
    document_content_type LowCardinality(String),
    expires_on Nullable(Date),${meta}`),
  engine: 'ReplacingMergeTree',
  partitionBy: 'toYYYYMM(event_time)',
  orderBy: '(driver_id, event_time, event_id)',
  dedup: true,
};

export const deadLetters: TableDef = {
  name: 'dead_letters',
  columns: cols(`
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
    received_at DateTime64(3, 'UTC')`),
  engine: 'ReplacingMergeTree',
  partitionBy: 'toYYYYMM(received_at)',
  orderBy: '(topic, partition, offset)',
  dedup: true,
};

export const loadLedger: TableDef = {
  name: 'load_ledger',
  columns: cols(`
    topic LowCardinality(String),
    partition UInt32,
    first_offset UInt64,
    last_offset UInt64,
    loaded UInt32,
    dead_lettered UInt32,
    loaded_at DateTime64(3, 'UTC')`),
  engine: 'ReplacingMergeTree',
  orderBy: '(topic, partition, first_offset)',
  dedup: true,
};

/** Dead letters sent back to their topic after a fix, so that each is replayed once. */
export const deadLetterReplays: TableDef = {
  name: 'dead_letter_replays',
  columns: cols(`
    topic LowCardinality(String),
    partition UInt32,
    offset UInt64,
    replayed_at DateTime64(3, 'UTC'),
    to_partition UInt32,
    to_offset UInt64`),
  engine: 'ReplacingMergeTree',
  orderBy: '(topic, partition, offset)',
  dedup: false,
};

/**
 * Reverse ETL's memory (see src/reverse-etl): per sync and row key, the hash of the row as last sent, so
 * that the next run's diff is computed here; the newest run_id wins.
 */
export const syncState: TableDef = {
  name: 'sync_state',
  columns: cols(`
    sync LowCardinality(String),
    key String,
    khash UInt64,
    hash UInt64,
    deleted UInt8,
    run_id UInt64`),
  engine: 'ReplacingMergeTree(run_id)',
  // A partition per sync: a diff's FINAL merges that sync's few parts only.
  partitionBy: 'sync',
  orderBy: '(sync, key)',
  dedup: false,
};

/** One row per sync run, replaced as it goes (the newest updated_ms wins): status and counts. */
export const syncRuns: TableDef = {
  name: 'sync_runs',
  columns: cols(`
    sync LowCardinality(String),
    run_id UInt64,
    status LowCardinality(String),
    started_at DateTime64(3, 'UTC'),
    finished_at DateTime64(3, 'UTC'),
    added UInt64,
    changed UInt64,
    deleted UInt64,
    skipped UInt64,
    failed UInt64,
    batches UInt32,
    error String,
    source_schema String,
    updated_ms UInt64`),
  engine: 'ReplacingMergeTree(updated_ms)',
  orderBy: '(sync, run_id)',
  dedup: false,
};

/** Batches a destination has taken, so that a resumed run goes on after the last one. */
export const syncBatches: TableDef = {
  name: 'sync_batches',
  columns: cols(`
    sync LowCardinality(String),
    run_id UInt64,
    batch_no UInt32,
    last_key String,
    rows UInt32,
    failed UInt32,
    at DateTime64(3, 'UTC')`),
  engine: 'ReplacingMergeTree',
  orderBy: '(sync, run_id, batch_no)',
  dedup: false,
};

/** Rows a destination refused, with its reason and the row as sent (JSON). */
export const syncRejects: TableDef = {
  name: 'sync_rejects',
  columns: cols(`
    sync LowCardinality(String),
    run_id UInt64,
    key String,
    op LowCardinality(String),
    error String,
    row String,
    at DateTime64(3, 'UTC')`),
  engine: 'MergeTree',
  orderBy: '(sync, run_id, key)',
  dedup: false,
};

export const schemaMigrations: TableDef = {
  name: 'schema_migrations',
  columns: cols(`
    version UInt32,
    name String,
    applied_at DateTime64(3, 'UTC')`),
  engine: 'ReplacingMergeTree',
  orderBy: 'version',
  dedup: false,
};

export const tables: TableDef[] = [
  rawTrips,
  rawVehicleLocations,
  rawDriverDocuments,
  deadLetters,
  loadLedger,
  deadLetterReplays,
  syncState,
  syncRuns,
  syncBatches,
  syncRejects,
  schemaMigrations,
];

export function tableDef(name: string): TableDef | undefined {
  return tables.find((t) => t.name === name);
}

/** Where a raw table's rows came from in the log: kept in the raw table, hidden from readers. */
export const sourceColumns = ['_topic', '_partition', '_offset'];
