/**
 * Synthetic trips written straight into raw_trips, for benchmarks and tests that need many trips (or
 * trips with drivers, which the TLC files do not have) faster than the ingest pipeline makes them.
 */
import type { Warehouse } from '../src/warehouse/index.ts';

/**
 * Inserts `count` synthetic trips numbered from `from`, with pick-ups over the last `days` days (the history
 * over 30, new trips within the last hour, as a live fleet sends them). History was ingested two seconds
 * after each drop-off; new trips are ingested now (the sink stamps the load time).
 */
export async function synthesizeTrips(
  warehouse: Warehouse,
  options: {
    from: number;
    count: number;
    days: number;
    agoSeconds: number;
    /** Trips go to this many vehicles and drivers (3,000 by default). */
    drivers?: number;
    /** The moment "now" stands for (a ClickHouse DateTime64 expression; now64(3) by default). */
    now?: string;
    /** When the trips were loaded (an expression); by default two seconds after each drop-off, or now. */
    ingestedAt?: string;
  },
): Promise<void> {
  const { from, count, days, agoSeconds } = options;
  const drivers = options.drivers ?? 3000;
  const now = options.now ?? 'now64(3)';
  await warehouse.client.command({
    query: `
      INSERT INTO raw_trips
      WITH
        ${from} + number AS n,
        ${now} - toIntervalSecond(${agoSeconds} + cityHash64(n, 1) % ${Math.round(days * 86400)}) AS pickup,
        60 * (3 + cityHash64(n, 2) % 55) + cityHash64(n, 3) % 60 AS seconds,
        round(seconds / 3600 * (6 + cityHash64(n, 4) % 14), 2) AS miles,
        round(3 + 2.5 * miles + 0.7 * seconds / 60, 2) AS fare,
        if(cityHash64(n, 5) % 10 < 7, 1, 2) AS payment,
        if(payment = 1, round(fare * (0.1 + (cityHash64(n, 6) % 15) / 100), 2), 0) AS tip
      SELECT
        lower(hex(cityHash64(n, 7))) || lower(hex(cityHash64(n, 8))) AS event_id,
        pickup + toIntervalSecond(seconds) AS event_time,
        'bench-' || toString(n) AS trip_id,
        'veh-' || toString(cityHash64(n, 9) % ${drivers}) AS vehicle_id,
        'drv-' || toString(cityHash64(n, 9) % ${drivers}) AS driver_id,
        if(cityHash64(n, 10) % 100 < 85, 'yellow', 'green') AS taxi_kind,
        2 AS vendor_id,
        pickup AS pickup_datetime,
        pickup + toIntervalSecond(seconds) AS dropoff_datetime,
        toInt16(1 + cityHash64(n, 11) % 3) AS passenger_count,
        miles AS trip_distance,
        toInt16(1) AS ratecode_id,
        'N' AS store_and_fwd_flag,
        toInt32(1 + cityHash64(n, 12) % 263) AS pu_location_id,
        toInt32(1 + cityHash64(n, 13) % 263) AS do_location_id,
        toInt16(payment) AS payment_type,
        fare AS fare_amount, 1 AS extra, 0.5 AS mta_tax, tip AS tip_amount, 0 AS tolls_amount,
        1 AS improvement_surcharge,
        fare + 1 + 0.5 + tip + 1 + 2.5 + 0.75 AS total_amount,
        2.5 AS congestion_surcharge, 0 AS airport_fee, NULL AS trip_type, NULL AS ehail_fee,
        0.75 AS cbd_congestion_fee,
        [] AS flags, 2 AS schema_id, 2 AS schema_version,
        ${options.ingestedAt ?? (agoSeconds > 0 ? `least(${now}, pickup + toIntervalSecond(seconds + 2))` : now)} AS ingested_at,
        'trip_completed' AS _topic, toUInt32(n % 4) AS _partition, n AS _offset
      FROM numbers(${count})`,
  });
}
