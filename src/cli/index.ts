/**
 * The `farebox` command. A command's module is loaded when it runs, so that `farebox transform …` or
 * `--help` does not pay for loading the gateway, the simulator and the rest.
 */
import { Command, CommanderError, Option } from 'commander';
import { parseConfig, settings, type Config, type SettingKey } from '../config/index.ts';
import { FareboxError, isFareboxError } from '../errors/index.ts';
import type { QueryFormat } from './query.ts';
import { roles, type Role } from './roles.ts';
import { orchestrateCommand } from './orchestrate.ts';
import { dashboardsCommand } from './dashboards.ts';
import { syncCommand } from './sync.ts';
import { transformCommand } from './transform.ts';

const examples = `
Examples:
  npm start                                   run everything on embedded engines, with the fleet simulator
  npx farebox up --vehicles 50 --port 9000    fewer taxis, another port
  npx farebox import ../shared/data/yellow_tripdata_sample.csv
  npx farebox status                          produced, loaded, dead-lettered and lag per event type
  npx farebox query "SELECT taxi_kind, count() FROM trips GROUP BY taxi_kind"
  npx farebox transform build                 build the SQL project in transform/: seeds, models, tests
  FAREBOX_WAREHOUSE=http://default:@127.0.0.1:8123/farebox npx farebox status

Every setting can come from a flag, an environment variable or farebox.yaml: see \`farebox config --help\`.`;

function configFrom(cmd: Command): Config {
  const opts = cmd.optsWithGlobals<Record<string, string | undefined>>();
  const flags: Partial<Record<SettingKey, string>> = {};
  for (const s of settings) {
    const v = opts[s.key];
    if (typeof v === 'string') flags[s.key] = v;
  }
  return parseConfig({ flags, file: opts.config });
}

export function buildProgram(): Command {
  const program = new Command('farebox')
    .description('Streaming data platform for a taxi fleet: events in, contracts checked, ClickHouse out.')
    .option('--config <file>', 'YAML or JSON config file (default: ./farebox.yaml if present)')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', examples);
  for (const s of settings)
    program.addOption(new Option(`${s.flag} <value>`, `${s.help} [env ${s.env}]`).hideHelp());

  program
    .command('up')
    .description(
      'run the whole platform in one process: simulator, gateway, log, pre-load, sink, status page',
    )
    .option('--no-simulate', 'do not start the fleet simulator')
    .option('--no-schedule', 'do not run the pipelines (pipelines/*.yaml) on their schedules')
    .option('--duration <seconds>', 'stop by itself after this many seconds')
    .action(async (opts: { simulate: boolean; schedule: boolean; duration?: string }, cmd: Command) => {
      const { up } = await import('./up.ts');
      await up(configFrom(cmd), {
        simulate: opts.simulate,
        schedule: opts.schedule,
        ...(opts.duration === undefined ? {} : { durationMs: Number(opts.duration) * 1000 }),
      });
    });

  program
    .command('serve')
    .description('run parts of the platform as processes of their own (for Kafka, S3, a ClickHouse server)')
    .argument('<roles...>', `one or more of: ${roles.join(', ')}`)
    .addHelpText(
      'after',
      `
Roles:
  gateway     HTTP ingest on --port (POST /v1/events/{type})
  registry    Confluent-compatible schema registry on --registry-port; state in the log's _schemas topic
  sink        consume, pre-load on worker threads, insert, commit; start several to share the partitions
  preload     the same as sink: pre-load's output is committed together with the insert
  simulator   the fleet simulator
  scheduler   runs pipelines/*.yaml on their schedules; history and leases in FAREBOX_OPS_DB (PostgreSQL:
              start several, each run is taken by one)
  dashboards  the dashboards web app and SQL lab on --dashboards-port (8788); users in FAREBOX_OPS_DB
              (add one: farebox dashboards add-user NAME --role admin --password-stdin)

Example, each in its own terminal:
  export FAREBOX_LOG=kafka://127.0.0.1:9092 FAREBOX_REGISTRY=http://127.0.0.1:8081
  export FAREBOX_OBJECTS='s3://media?endpoint=http://127.0.0.1:9000' FAREBOX_WAREHOUSE=http://default:@127.0.0.1:8123/farebox
  npx farebox serve registry
  npx farebox serve gateway
  npx farebox serve sink        # and again, for a second sink in the same group
  npx farebox serve dashboards  # then open http://127.0.0.1:8788/`,
    )
    .action(async (wanted: string[], _opts: unknown, cmd: Command) => {
      const unknown = wanted.filter((r) => !(roles as readonly string[]).includes(r));
      if (unknown.length > 0)
        throw new FareboxError('bad_request', `unknown role '${unknown.join("', '")}'`, {
          hint: `roles: ${roles.join(', ')}`,
        });
      const { serve } = await import('./serve.ts');
      await serve(configFrom(cmd), wanted as Role[]);
    });

  program
    .command('import')
    .description('import NYC TLC trip files (CSV or Parquet, yellow or green) as trip_completed events')
    .argument('<files...>', 'TLC files, e.g. yellow_tripdata_2025-01.parquet')
    .option('--no-load', 'only append to the event log; do not wait for the sink to load the warehouse')
    .action(async (files: string[], opts: { load: boolean }, cmd: Command) => {
      const { importCommand } = await import('./import.ts');
      await importCommand(configFrom(cmd), files, { load: opts.load });
    });

  program
    .command('status')
    .description('per event type: produced, loaded, dead-lettered and consumer lag')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { statusCommand } = await import('./status.ts');
      await statusCommand(configFrom(cmd), { json: opts.json === true });
    });

  program
    .command('query')
    .description('run a read-only SQL query on the warehouse')
    .argument('<sql>', 'ClickHouse SQL, e.g. "SELECT count() FROM trips"')
    .addOption(
      new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'),
    )
    .action(async (sql: string, opts: { format: QueryFormat }, cmd: Command) => {
      const { queryCommand } = await import('./query.ts');
      await queryCommand(configFrom(cmd), sql, opts);
    });

  program.addCommand(transformCommand(configFrom));
  program.addCommand(orchestrateCommand(configFrom));
  program.addCommand(syncCommand(configFrom));
  program.addCommand(dashboardsCommand(configFrom));

  program
    .command('config')
    .description('print the effective configuration and every setting with its flag, variable and default')
    .action((_opts: unknown, cmd: Command) => {
      const config = configFrom(cmd);
      process.stdout.write(
        `${JSON.stringify(config, null, 2)}\n\nSettings (flag · environment variable · farebox.yaml key · default):\n`,
      );
      for (const s of settings)
        process.stdout.write(
          `  ${s.flag.padEnd(20)} ${s.env.padEnd(26)} ${s.key.padEnd(16)} ${s.default}\n    ${s.help}\n`,
        );
    });
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    if (isFareboxError(e)) {
      process.stderr.write(`error: ${e.describe()}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}
