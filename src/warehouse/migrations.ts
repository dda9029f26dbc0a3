/**
 * Versioned warehouse migrations. Every statement is idempotent (IF NOT EXISTS), so a migration cut off
 * half-way is finished by the next start. Applied versions are recorded in `schema_migrations`. The
 * tables are defined as data in tables.ts and rendered for the server's dialect.
 */
import type { Warehouse } from './connection.ts';
import type { Dialect } from './dialect.ts';
import {
  deadLetterReplays,
  deadLetters,
  loadLedger,
  rawDriverDocuments,
  rawTrips,
  rawVehicleLocations,
  schemaMigrations,
  syncBatches,
  syncRejects,
  syncRuns,
  syncState,
} from './tables.ts';

export interface Migration {
  version: number;
  name: string;
  statements: (dialect: Dialect) => string[];
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'raw tables, dead letters, load ledger',
    statements: (d) => [
      ...[rawTrips, rawVehicleLocations, rawDriverDocuments, deadLetters, loadLedger].map((t) =>
        d.createTable(t),
      ),
      d.createView('trips', rawTrips),
      d.createView('vehicle_locations', rawVehicleLocations),
      d.createView('driver_documents', rawDriverDocuments),
    ],
  },
  {
    version: 2,
    name: 'dead letter replays',
    statements: (d) => [d.createTable(deadLetterReplays)],
  },
  {
    version: 3,
    name: 'reverse ETL state, runs, batches and rejects',
    statements: (d) => [syncState, syncRuns, syncBatches, syncRejects].map((t) => d.createTable(t)),
  },
];

/** Applies the migrations not yet recorded; returns the versions applied now. */
export async function migrate(warehouse: Warehouse): Promise<number[]> {
  const { client, dialect } = warehouse;
  await client.command({ query: dialect.createTable(schemaMigrations) });
  const done = await client.query({
    query: 'SELECT version FROM schema_migrations FINAL',
    format: 'JSONEachRow',
  });
  const applied = new Set((await done.json<{ version: number }>()).map((r) => Number(r.version)));
  const now: number[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    for (const query of m.statements(dialect)) await client.command({ query });
    const row = [m.version, m.name, Date.now()];
    await warehouse.insertEncoded({
      table: schemaMigrations.name,
      columns: schemaMigrations.columns.map((c) => c.name),
      body: new TextEncoder().encode(JSON.stringify(row)),
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
