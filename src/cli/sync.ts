/** `farebox sync …`: reverse-ETL syncs, their runs and the rows destinations refused. */
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import type { Config } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';
import { openOpsDb } from '../opsdb/index.ts';
import { listRuns, type RunRecord, type SyncDef, type SyncRunSummary } from '../reverse-etl/index.ts';
import { sqlString, type Warehouse } from '../warehouse/index.ts';
import { openEngines, type Engines } from './engines.ts';
import { formatTable } from './format.ts';
import { callRunning, readRunInfo, type RunInfo } from './run-file.ts';
import { syncsOf } from './project.ts';
import { runSyncOn, summaryLine, syncNamed } from './syncs.ts';

/** formatTable over rows given as arrays, in the columns' order. */
const table = (columns: string[], rows: string[][]): string =>
  formatTable(
    columns,
    rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? '']))),
  );
const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const iso = (t: number): string => (t === 0 ? '' : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z'));

function destinationText(d: SyncDef['destination']): string {
  if (d.kind === 'postgres') return `postgres ${d.table}${d.url === undefined ? '' : ' (by URL)'}`;
  if (d.kind === 'http') return `http ${new URL(d.url).host}`;
  return `kafka ${d.topic}`;
}

function scheduleText(s: SyncDef['schedule']): string {
  if (s === undefined) return 'by pipeline or hand';
  return 'cron' in s ? `cron '${s.cron}' ${s.timezone}` : `every ${s.every}`;
}

async function api<T>(info: RunInfo, route: string, body?: unknown): Promise<T> {
  const { status, json } = await callRunning<T & { error?: { message: string; hint?: string } }>(
    info,
    route,
    body,
  );
  if (status >= 400)
    throw new FareboxError(
      status === 404 ? 'not_found' : 'bad_request',
      json.error?.message ?? `HTTP ${status}`,
      {
        ...(json.error?.hint === undefined ? {} : { hint: json.error.hint }),
      },
    );
  return json;
}

/** With the warehouse: through `farebox up` when it runs (it holds chDB), else opened here. */
async function withWarehouse<T>(
  config: Config,
  viaApi: (info: RunInfo) => Promise<T>,
  direct: (warehouse: Warehouse, engines: Engines) => Promise<T>,
): Promise<T> {
  const running = readRunInfo(config.home);
  if (running !== undefined) return viaApi(running);
  const engines = await openEngines(config, { warehouse: true, registry: false });
  try {
    return await direct(engines.warehouse as Warehouse, engines);
  } finally {
    await engines.close();
  }
}

function runsTable(runs: RunRecord[]): string {
  return table(
    ['run', 'status', 'started', 'took', 'added', 'changed', 'deleted', 'failed', 'batches', 'error'],
    runs.map((r) => [
      String(r.runId),
      r.status,
      iso(r.startedAt),
      r.finishedAt === 0 ? '' : `${((r.finishedAt - r.startedAt) / 1000).toFixed(1)} s`,
      String(r.added),
      String(r.changed),
      String(r.deleted),
      String(r.failed),
      String(r.batches),
      r.error.split('\n')[0]?.slice(0, 80) ?? '',
    ]),
  );
}

export function syncCommand(configFrom: (c: Command) => Config): Command {
  const cmd = new Command('sync')
    .description('reverse ETL: send what changed in the warehouse to PostgreSQL, HTTP or Kafka')
    .addHelpText(
      'after',
      `
Syncs are YAML files in syncs/ (FAREBOX_SYNCS). Each names a source (a model or a SELECT) and its primary
key, a destination, a mode (insert, update, upsert, mirror) and a mapping. A run computes in the warehouse
which rows were added, changed or deleted since the last successful run and sends only those, in batches;
a run cut off by a crash is resumed by the next one. Syncs with a schedule run in farebox up.

Examples:
  npx farebox sync list
  npx farebox sync run drivers
  npx farebox sync runs drivers
  npx farebox sync rejects drivers`,
    );

  cmd
    .command('list')
    .description('the syncs, their destinations and schedules')
    .action((_o: unknown, c: Command) => {
      const syncs = syncsOf(configFrom(c));
      if (syncs.length === 0) return out('no syncs (add YAML files to syncs/)');
      out(
        table(
          ['sync', 'source', 'destination', 'mode', 'sends', 'schedule', 'state'],
          syncs.map((s) => [
            s.name,
            s.source.kind === 'model' ? s.source.model : 'SQL',
            destinationText(s.destination),
            s.mode,
            s.send.join(', '),
            scheduleText(s.schedule),
            s.disabled === undefined ? 'enabled' : `disabled: ${s.disabled}`,
          ]),
        ),
      );
    });

  cmd
    .command('run')
    .description('run a sync now: plan the diff, send it, record the run')
    .argument('<name>', 'the sync, e.g. drivers')
    .option('--accept-schema-change', 'go on although source columns changed type or went away')
    .action(async (name: string, o: { acceptSchemaChange?: boolean }, c: Command) => {
      const config = configFrom(c);
      const def = syncNamed(syncsOf(config), name);
      const summary = await withWarehouse<SyncRunSummary>(
        config,
        (info) =>
          api(info, `/v1/syncs/${encodeURIComponent(name)}/run`, {
            acceptSchemaChange: o.acceptSchemaChange === true,
          }),
        async (warehouse, engines) => {
          const opsDb = await openOpsDb(config.opsDb);
          const bar = new cliProgress.SingleBar(
            { format: `${name} [{bar}] {value}/{total} rows`, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          let started = false;
          try {
            return await runSyncOn(
              def,
              { warehouse, opsDb, log: engines.log },
              {
                acceptSchemaChange: o.acceptSchemaChange === true,
                say: (line) => out(line),
                progress: (sent, total) => {
                  if (!process.stdout.isTTY || total === 0) return;
                  if (!started) bar.start(total, sent);
                  started = true;
                  bar.update(sent);
                },
              },
            );
          } finally {
            if (started) bar.stop();
            await opsDb.close();
          }
        },
      );
      out(summaryLine(summary));
      if (summary.failed > 0) out(`rows the destination refused: npx farebox sync rejects ${name}`);
    });

  cmd
    .command('runs')
    .description("a sync's runs, newest first, with their counts")
    .argument('<name>', 'the sync')
    .option('--limit <n>', 'how many', '20')
    .action(async (name: string, o: { limit: string }, c: Command) => {
      const config = configFrom(c);
      syncNamed(syncsOf(config), name);
      const limit = Math.max(1, Number(o.limit) || 20);
      const runs = await withWarehouse(
        config,
        async (info) =>
          (
            await api<{ runs: RunRecord[] }>(
              info,
              `/v1/syncs/${encodeURIComponent(name)}/runs?limit=${limit}`,
            )
          ).runs,
        (warehouse) => listRuns(warehouse, name, limit),
      );
      out(runs.length === 0 ? `sync ${name} has not run yet` : runsTable(runs));
    });

  cmd
    .command('rejects')
    .description('rows a destination refused, with its reason (tried again by the next run)')
    .argument('<name>', 'the sync')
    .option('--limit <n>', 'how many', '50')
    .action(async (name: string, o: { limit: string }, c: Command) => {
      const config = configFrom(c);
      syncNamed(syncsOf(config), name);
      if (readRunInfo(config.home) !== undefined)
        throw new FareboxError('bad_request', 'farebox up is running and holds the warehouse', {
          hint: `query it there: npx farebox query "SELECT * FROM sync_rejects WHERE sync = '${name}'"`,
        });
      const rows = await withWarehouse(
        config,
        () => Promise.reject(new FareboxError('internal', 'unreachable')),
        async (warehouse) => {
          const r = await warehouse.client.query({
            query: `SELECT toString(run_id) AS run, key, op, error, row FROM sync_rejects WHERE sync = ${sqlString(name)} ORDER BY run_id DESC, key LIMIT ${Math.max(1, Number(o.limit) || 50)}`,
            format: 'JSONEachRow',
          });
          return r.json<{ run: string; key: string; op: string; error: string; row: string }>();
        },
      );
      out(
        rows.length === 0
          ? `no rejected rows for ${name}`
          : table(
              ['run', 'key', 'op', 'error', 'row'],
              rows.map((r) => [r.run, r.key, r.op, r.error.slice(0, 100), r.row.slice(0, 80)]),
            ),
      );
    });

  return cmd;
}
