/**
 * Reads sync definitions from YAML files (one sync per file in `syncs/`) and checks them once, at load:
 * every field's shape, the model exists in the transform project, the primary key is mapped, the mode
 * can send the changes asked for, and URLs parse. Errors name the file and the field.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { closest, FareboxError } from '../errors/index.ts';
import type { DestinationDef, Op, SyncDef, SyncMode } from './types.ts';

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function ms(text: string | number): number | undefined {
  if (typeof text === 'number') return text >= 0 ? text * 1000 : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(text);
  return m === null ? undefined : Number(m[1]) * (durationUnits[m[2] as string] as number);
}

const duration = z.union([z.string(), z.number()]).refine((v) => ms(v) !== undefined, {
  message: "a duration such as '500ms', '30s' or '5m'",
});
const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and _, not starting with a digit');
const ops = z.enum(['added', 'changed', 'deleted']);

const syncSchema = z
  .object({
    sync: z.string().regex(/^[a-z][a-z0-9_]*$/, 'lower-case letters, digits and _, starting with a letter'),
    description: z.string().default(''),
    source: z
      .object({
        model: z.string().min(1).optional(),
        sql: z.string().min(1).optional(),
        primary_key: z.array(identifier).min(1),
      })
      .strict()
      .refine((s) => (s.model === undefined) !== (s.sql === undefined), {
        message: 'give the source one of model or sql',
      }),
    destination: z
      .object({
        postgres: z
          .object({
            url: z.string().optional(),
            table: z
              .string()
              .regex(/^([A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*$/, 'table or schema.table'),
            create_table: z.boolean().default(false),
          })
          .strict()
          .optional(),
        http: z
          .object({
            url: z.string().url(),
            rate_limit: z.number().positive().default(10),
            retries: z.number().int().min(0).max(20).default(5),
            retry_delay: duration.default('1s'),
            timeout: duration.default('30s'),
          })
          .strict()
          .optional(),
        kafka: z
          .object({ topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name') })
          .strict()
          .optional(),
      })
      .strict()
      .refine((d) => [d.postgres, d.http, d.kafka].filter((x) => x !== undefined).length === 1, {
        message: 'give the destination one of postgres, http or kafka',
      }),
    mode: z.enum(['insert', 'update', 'upsert', 'mirror']),
    send: z.array(ops).min(1).optional(),
    mapping: z.record(identifier, identifier).optional(),
    batch_rows: z.number().int().min(1).max(100_000).default(5000),
    schedule: z
      .union([
        z.object({ cron: z.string(), timezone: z.string().default('UTC') }).strict(),
        z.object({ every: z.union([z.string(), z.number()]) }).strict(),
      ])
      .optional(),
  })
  .strict();

/** The changes a mode sends unless `send` says otherwise. */
export const defaultSend: Record<SyncMode, Op[]> = {
  insert: ['added'],
  update: ['added', 'changed'],
  upsert: ['added', 'changed'],
  mirror: ['added', 'changed', 'deleted'],
};

/** What the loader checks a source model against, and the variables `${NAME}` in URLs stand for. */
export interface SyncContext {
  models: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `${NAME}` in a destination URL from the environment (secrets stay out of the repo). A variable that is
 * not set disables the sync instead of failing the load: `farebox up` starts without every optional
 * destination configured.
 */
function expandUrl(raw: unknown, env: SyncContext['env']): { disabled: string | undefined } {
  let disabled: string | undefined;
  const destination = (raw as { destination?: Record<string, { url?: unknown } | undefined> } | null)
    ?.destination;
  for (const kind of ['http', 'postgres']) {
    const d = destination?.[kind];
    if (d === undefined || typeof d.url !== 'string') continue;
    d.url = d.url.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const value = env?.[name];
      if (value !== undefined && value !== '') return value;
      disabled ??= `${name} is not set`;
      return kind === 'http' ? 'http://unset.invalid' : 'postgres://unset.invalid';
    });
  }
  return { disabled };
}

function invalid(file: string, message: string, hint?: string): FareboxError {
  return new FareboxError('sync_invalid', `${file}: ${message}`, {
    where: file,
    ...(hint === undefined ? {} : { hint }),
  });
}

function destination(raw: z.infer<typeof syncSchema>['destination']): DestinationDef {
  if (raw.postgres !== undefined)
    return {
      kind: 'postgres',
      url: raw.postgres.url,
      table: raw.postgres.table,
      createTable: raw.postgres.create_table,
    };
  if (raw.http !== undefined)
    return {
      kind: 'http',
      url: raw.http.url,
      rateLimit: raw.http.rate_limit,
      retries: raw.http.retries,
      retryDelayMs: ms(raw.http.retry_delay) as number,
      timeoutMs: ms(raw.http.timeout) as number,
    };
  return { kind: 'kafka', topic: (raw.kafka as { topic: string }).topic };
}

export function parseSync(file: string, text: string, context: SyncContext): SyncDef {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (e) {
    throw invalid(file, `not valid YAML (${e instanceof Error ? e.message : String(e)})`);
  }
  const { disabled } = expandUrl(raw, context.env);
  const parsed = syncSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = (issue?.path ?? []).map(String).join('.');
    throw invalid(file, `${at === '' ? '' : `${at}: `}${issue?.message ?? 'invalid'}`);
  }
  const s = parsed.data;
  if (s.source.model !== undefined && !context.models.includes(s.source.model)) {
    const near = closest(s.source.model, context.models);
    throw invalid(
      file,
      `source.model '${s.source.model}' is no model of the transform project`,
      near === undefined ? 'see `farebox transform ls`' : `did you mean '${near}'?`,
    );
  }
  if (s.source.sql !== undefined && !/^\s*(select|with)\b/i.test(s.source.sql))
    throw invalid(file, 'source.sql must be one SELECT (or WITH … SELECT) query');
  const mapping =
    s.mapping === undefined ? undefined : Object.entries(s.mapping).map(([to, from]) => ({ to, from }));
  if (mapping !== undefined)
    for (const key of s.source.primary_key)
      if (!mapping.some((m) => m.from === key))
        throw invalid(
          file,
          `source.primary_key '${key}' is not mapped to a destination column`,
          `add it to mapping, e.g. '${key}: ${key}'`,
        );
  const send = s.send ?? defaultSend[s.mode];
  if (send.includes('deleted') && s.mode !== 'mirror')
    throw invalid(file, `send: only mode mirror deletes, mode is ${s.mode}`);
  if (s.mode === 'insert' && send.includes('changed'))
    throw invalid(file, 'send: mode insert sends new rows only; use upsert to send changed rows');
  return {
    name: s.sync,
    description: s.description,
    file,
    source:
      s.source.model !== undefined
        ? { kind: 'model', model: s.source.model }
        : { kind: 'sql', sql: (s.source.sql as string).trim().replace(/;\s*$/, '') },
    primaryKey: s.source.primary_key,
    mapping,
    mode: s.mode,
    send,
    destination: destination(s.destination),
    batchRows: s.batch_rows,
    schedule: s.schedule,
    disabled,
  };
}

/** Every `*.yaml` / `*.yml` in `dir`, sorted; no folder means no syncs. Two files naming one sync are refused. */
export function loadSyncs(dir: string, context: SyncContext): SyncDef[] {
  if (!fs.existsSync(dir)) return [];
  const syncs = fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) =>
      parseSync(path.join(path.basename(dir), f), fs.readFileSync(path.join(dir, f), 'utf8'), context),
    );
  const names = new Set<string>();
  for (const s of syncs) {
    if (names.has(s.name)) throw invalid(s.file, `sync '${s.name}' is defined in another file too`);
    names.add(s.name);
  }
  return syncs;
}
