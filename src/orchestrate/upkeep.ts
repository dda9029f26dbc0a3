/**
 * The upkeep jobs besides OPTIMIZE and replays, as the executor runs them: `ttl` (retention of old rows, a
 * ClickHouse TTL on the table, materialized at once) and `clean_objects` (clean-objects.ts).
 */
import { FareboxError, wrapError } from '../errors/index.ts';
import type { EventLog } from '../log/index.ts';
import type { ObjectStore } from '../objects/index.ts';
import { quoteIdent } from '../transform/index.ts';
import { tableDef, type Warehouse } from '../warehouse/index.ts';
import { cleanObjects } from './clean-objects.ts';
import type { JobContext } from './scheduler.ts';
import type { JobAction } from './types.ts';

const ident = (name: string): string => name.split('.').map(quoteIdent).join('.');

async function rows<T>(warehouse: Warehouse, query: string): Promise<T[]> {
  return (await warehouse.client.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** An ALTER with settings: in the query on chDB (its session would keep them), per request over HTTP. */
async function alter(warehouse: Warehouse, query: string, settings: Record<string, number>): Promise<void> {
  const list = Object.entries(settings);
  if (warehouse.kind === 'chdb' && list.length > 0)
    await warehouse.client.command({
      query: `${query} SETTINGS ${list.map(([k, v]) => `${k} = ${v}`).join(', ')}`,
    });
  else await warehouse.client.command({ query, clickhouse_settings: settings });
}

/** TTL came in ClickHouse 19.6; chDB is current. */
function hasTtl(version: string): boolean {
  if (version === 'chdb') return true;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 19 || (major === 19 && minor >= 6);
}

function noTtl(table: string, column: string, version: string, cause?: unknown): FareboxError {
  const partitionBy = tableDef(table)?.partitionBy;
  return new FareboxError(
    'warehouse',
    `cannot expire old rows of ${table}: TTL needs ClickHouse ≥ 19.6 and the server runs ${version}`,
    {
      cause,
      where: table,
      hint: `upgrade the ClickHouse server, or remove the ttl job and delete old rows by hand: ${
        partitionBy === undefined
          ? ''
          : `drop whole partitions (${table} is partitioned by ${partitionBy}: ALTER TABLE ${table} DROP PARTITION …, see system.parts) or `
      }ALTER TABLE ${table} DELETE WHERE ${column} < …`,
    },
  );
}

export interface ExpiredRows {
  /** Rows older than the cutoff before the job, and left after it (0 unless rows arrived meanwhile). */
  before: number;
  after: number;
  /** The cutoff, ms since the epoch (the server's clock less `keep`). */
  cutoff: number;
}

/**
 * Sets the table's TTL to `column + keep` (the same statement each run, so running again changes
 * nothing) and materializes it, waiting, so that rows older than `keep` are gone when this returns.
 */
export async function expireRows(
  warehouse: Warehouse,
  spec: { table: string; column: string; keepMs: number },
): Promise<ExpiredRows> {
  const { table, column } = spec;
  const version = warehouse.dialect.version;
  if (!hasTtl(version)) throw noTtl(table, column, version);
  const keep = Math.ceil(spec.keepMs / 1000);
  try {
    const [now] = await rows<{ now: string }>(warehouse, 'SELECT toUnixTimestamp(now()) AS now');
    const cutoff = Number(now?.now ?? 0) - keep;
    const older = async (): Promise<number> =>
      Number(
        (
          await rows<{ n: string }>(
            warehouse,
            `SELECT count() AS n FROM ${ident(table)} WHERE ${ident(column)} < toDateTime(${cutoff})`,
          )
        )[0]?.n ?? 0,
      );
    const before = await older();
    // MODIFY TTL would otherwise rewrite the parts once more, in the background, on a current server.
    await alter(
      warehouse,
      `ALTER TABLE ${ident(table)} MODIFY TTL toDateTime(${ident(column)}) + INTERVAL ${keep} SECOND`,
      warehouse.dialect.name === 'current' ? { materialize_ttl_after_modify: 0 } : {},
    );
    await alter(warehouse, `ALTER TABLE ${ident(table)} MATERIALIZE TTL`, { mutations_sync: 2 });
    return { before, after: await older(), cutoff: cutoff * 1000 };
  } catch (e) {
    if (e instanceof FareboxError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    if (/Syntax error.*\bTTL\b/s.test(message)) throw noTtl(table, column, version, e);
    throw wrapError('warehouse', `cannot expire old rows of ${table} by ${column}`, e, { where: table });
  }
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Runs a ttl or clean_objects job, saying what it did through ctx.log. */
export async function runUpkeep(
  action: Extract<JobAction, { kind: 'ttl' | 'clean_objects' }>,
  ctx: Pick<JobContext, 'log'>,
  deps: { warehouse: Warehouse; log?: EventLog; objects?: ObjectStore; sinkGroup?: string; now: number },
): Promise<void> {
  if (action.kind === 'ttl') {
    const { before, after, cutoff } = await expireRows(deps.warehouse, action);
    ctx.log(
      `${action.table}: ${plural(before, 'row')} with ${action.column} before ${new Date(cutoff).toISOString()}, ${after} left after its TTL`,
    );
    return;
  }
  const { log, objects, sinkGroup } = deps;
  if (log === undefined || objects === undefined || sinkGroup === undefined)
    throw new FareboxError(
      'internal',
      'cleaning objects needs the event log, the object store and the sink group',
      { hint: 'pass log, objects and sinkGroup to createExecutor' },
    );
  const dry = action.dryRun;
  const r = await cleanObjects(
    { warehouse: deps.warehouse, log, objects },
    {
      minAgeMs: action.minAgeMs,
      dryRun: dry,
      sinkGroup,
      now: deps.now,
      ...(dry
        ? {
            onOrphan: (o) =>
              ctx.log(
                `would delete ${o.sha256} (${o.size} bytes, stored ${new Date(o.modifiedAt).toISOString()})`,
              ),
          }
        : {}),
    },
  );
  ctx.log(
    `${plural(r.candidates, 'object')} older than ${action.minAgeMs / 1000} s, ${r.referenced} of them referenced; ${
      dry ? 'would delete' : 'deleted'
    } ${r.deleted}, ${r.bytes} bytes ${dry ? 'to free' : 'freed'}`,
  );
}
