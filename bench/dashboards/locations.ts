/**
 * Synthetic position pings written straight into raw_vehicle_locations (INSERT … SELECT from numbers()), for
 * the Fleet dashboard's map: every vehicle pings every `everySeconds` over the last `minutes` minutes, up to
 * now, moving slowly around a home point inside New York City. Vehicle and driver ids are those of
 * test/synthetic-trips.ts ('veh-0' …).
 */
import type { Warehouse } from '../../src/warehouse/index.ts';

export async function synthesizeLocations(
  warehouse: Warehouse,
  options: { vehicles: number; minutes: number; everySeconds: number },
): Promise<number> {
  const { vehicles, minutes, everySeconds } = options;
  const pings = Math.floor((minutes * 60) / everySeconds);
  const count = vehicles * pings;
  await warehouse.client.command({
    query: `
      INSERT INTO raw_vehicle_locations
      WITH
        number % ${vehicles} AS v,
        intDiv(number, ${vehicles}) AS k,
        now64(3) - toIntervalMillisecond((${pings - 1} - k) * ${everySeconds * 1000} + cityHash64(number, 1) % 1000) AS t,
        -- a home point in the city's box (Staten Island's tip to the Bronx, the Hudson to Queens), a slow loop
        40.58 + 0.30 * (cityHash64(v, 2) % 10000) / 10000 + 0.01 * sin((k + v) / 40) AS lat,
        -74.02 + 0.27 * (cityHash64(v, 3) % 10000) / 10000 + 0.01 * cos((k + v) / 50) AS lon,
        ['available', 'en_route', 'on_trip', 'off_duty'][1 + cityHash64(v, intDiv(k, 60)) % 4] AS status
      SELECT
        lower(hex(cityHash64(number, 4))) || lower(hex(cityHash64(number, 5))) AS event_id,
        t AS event_time,
        'veh-' || toString(v) AS vehicle_id,
        'drv-' || toString(v) AS driver_id,
        lat,
        lon,
        toFloat32(if(status = 'off_duty', 0, 5 + cityHash64(number, 6) % 45)) AS speed_kmh,
        toFloat32(cityHash64(number, 7) % 360) AS heading_deg,
        status,
        [] AS flags, 3 AS schema_id, 1 AS schema_version,
        least(now64(3), t + toIntervalSecond(1)) AS ingested_at,
        'vehicle_location' AS _topic, toUInt32(v % 4) AS _partition, number AS _offset
      FROM numbers(${count})`,
  });
  return count;
}
