/** `farebox orchestrate ttl` and `farebox orchestrate clean-objects`: what the ttl and clean_objects jobs run. */
import { Command } from 'commander';
import type { Config } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';
import { cleanObjects, expireRows, parseDuration } from '../orchestrate/index.ts';
import { openWarehouse } from '../warehouse/index.ts';
import { openEngines } from './engines.ts';
import { readRunInfo } from './run-file.ts';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

function durationOf(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new FareboxError('bad_request', `${flag} '${text}' is not a duration`, { hint: 'e.g. 24h or 90d' });
  return ms;
}

/** farebox up holds the embedded engines; its scheduler runs these jobs itself. */
function refuseWhileUp(config: Config, job: string): void {
  if (readRunInfo(config.home) !== undefined)
    throw new FareboxError('bad_request', 'farebox up is running and holds the log and the warehouse', {
      hint: `stop it first, or add a ${job} job to a pipeline and trigger it (farebox orchestrate trigger)`,
    });
}

export function upkeepCommands(configFrom: (cmd: Command) => Config): Command[] {
  const ttl = new Command('ttl')
    .description(
      "upkeep: keep a table's rows for a while by a time column (a TTL), deleting older ones now (what a ttl job runs)",
    )
    .requiredOption('--table <table>', 'e.g. raw_vehicle_locations')
    .requiredOption('--column <column>', 'a time column, e.g. event_time')
    .requiredOption('--keep <duration>', 'e.g. 90d')
    .action(async (o: { table: string; column: string; keep: string }, c: Command) => {
      const config = configFrom(c);
      const keepMs = durationOf(o.keep, '--keep');
      refuseWhileUp(config, 'ttl');
      const warehouse = await openWarehouse(config.warehouse);
      try {
        const r = await expireRows(warehouse, { table: o.table, column: o.column, keepMs });
        out(
          `${o.table}: ${r.before} rows with ${o.column} before ${new Date(r.cutoff).toISOString()}, ${r.after} left after its TTL`,
        );
      } finally {
        await warehouse.close();
      }
    });

  const clean = new Command('clean-objects')
    .description(
      'upkeep: delete objects no document row or dead letter references (what a clean_objects job runs)',
    )
    .option('--min-age <duration>', 'keep objects stored more recently than this', '24h')
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .action(async (o: { minAge: string; dryRun?: boolean }, c: Command) => {
      const config = configFrom(c);
      const minAgeMs = durationOf(o.minAge, '--min-age');
      refuseWhileUp(config, 'clean_objects');
      const dryRun = o.dryRun === true;
      const engines = await openEngines(config, { warehouse: true });
      try {
        const r = await cleanObjects(
          {
            log: engines.log,
            objects: engines.objects,
            warehouse: engines.warehouse as NonNullable<typeof engines.warehouse>,
          },
          {
            minAgeMs,
            dryRun,
            sinkGroup: config.sink.group,
            now: Date.now(),
            ...(dryRun ? { onOrphan: (x) => out(`would delete ${x.sha256} (${x.size} bytes)`) } : {}),
          },
        );
        out(
          `${r.candidates} objects older than ${o.minAge}, ${r.referenced} of them referenced; ${
            dryRun ? 'would delete' : 'deleted'
          } ${r.deleted} (${r.bytes} bytes)`,
        );
      } finally {
        await engines.close();
      }
    });
  return [ttl, clean];
}
