/** The contract suite's harness for PostgreSQL destinations (PGlite or a server: the same SQL). */
import type { OpsDb } from '../opsdb/index.ts';
import type { DestinationHarness } from './contract-suite.ts';
import { openDestination } from './index.ts';

export function postgresHarness(db: () => OpsDb, url?: string): DestinationHarness {
  return {
    destinationYaml: (target) =>
      `destination:\n  postgres:\n    table: ${target}\n${url === undefined ? '' : `    url: '${url}'\n`}`,
    async setUp(target, existing) {
      await db().exec(
        `CREATE TABLE ${target} (driver_id integer PRIMARY KEY, score smallint, tier text, earnings numeric(12, 2), note text CHECK (note IS DISTINCT FROM 'REJECT'))`,
      );
      for (const id of existing) await db().query(`INSERT INTO ${target} (driver_id) VALUES ($1)`, [id]);
    },
    open: (def) => openDestination(def, { opsDb: db() }),
    async read(target) {
      const rows = await db().query<Record<string, string | null>>(
        `SELECT driver_id::text AS driver_id, score::text AS score, tier, earnings::text AS earnings, note FROM ${target}`,
      );
      return new Map(rows.map((r) => [r.driver_id as string, r]));
    },
  };
}
