/**
 * The source side of a sync, in ClickHouse SQL: the source's columns, each mapped column as text (how
 * every destination receives values), a row key and a row hash. Everything here runs in the warehouse;
 * Node never holds the source or the state.
 */
import { FareboxError, closest } from '../errors/index.ts';
import { quoteIdent } from '../transform/index.ts';
import type { Warehouse } from '../warehouse/index.ts';
import type { SyncColumn, SyncDef } from './types.ts';

export interface SourceColumn {
  name: string;
  type: string;
}

/** A column to send: where it comes from, its name in the destination, its ClickHouse type. */
export interface MappedColumn extends SyncColumn {
  from: string;
}

/** Separates the parts of a composite key in its text form (the ASCII unit separator). */
export const keySeparator = '\\x1F';

export function sourceQuery(def: SyncDef): string {
  return def.source.kind === 'model' ? `SELECT * FROM ${quoteIdent(def.source.model)}` : def.source.sql;
}

/** The source's columns and types, from the result's metadata (no row is read). */
export async function describeSource(warehouse: Warehouse, def: SyncDef): Promise<SourceColumn[]> {
  try {
    const result = await warehouse.client.query({
      query: `SELECT * FROM (${sourceQuery(def)}) LIMIT 0`,
      format: 'JSON',
    });
    const { meta } = await result.json<Record<string, unknown>>();
    return (meta ?? []).map((m) => ({ name: m.name, type: m.type }));
  } catch (e) {
    throw new FareboxError(
      'sync_invalid',
      `sync ${def.name}: its source cannot be read: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
      {
        where: def.file,
        cause: e,
        hint:
          def.source.kind === 'model'
            ? `build the model first: farebox transform run -s ${def.source.model}`
            : 'run the source SQL in `farebox query` to see what is wrong',
      },
    );
  }
}

/** The mapped columns in destination order; a mapped column the source lacks is named. */
export function mapColumns(def: SyncDef, source: SourceColumn[]): MappedColumn[] {
  const mapping = def.mapping ?? source.map((c) => ({ to: c.name, from: c.name }));
  for (const key of def.primaryKey)
    if (!source.some((c) => c.name === key))
      throw new FareboxError(
        'sync_schema_changed',
        `sync ${def.name}: primary key column '${key}' is not in the source`,
        { where: def.file, hint: 'the source columns are: ' + source.map((c) => c.name).join(', ') },
      );
  return mapping.map(({ to, from }) => {
    const column = source.find((c) => c.name === from);
    if (column === undefined) {
      const near = closest(
        from,
        source.map((c) => c.name),
      );
      throw new FareboxError(
        'sync_schema_changed',
        `sync ${def.name}: mapping '${to}: ${from}' names a column the source does not have`,
        {
          where: def.file,
          hint: near === undefined ? 'see the source columns with farebox query' : `did you mean '${near}'?`,
        },
      );
    }
    textExpression(def, column);
    return { name: to, from, chType: column.type, key: def.primaryKey.includes(from) };
  });
}

function baseType(type: string): string {
  let t = type;
  for (;;) {
    const m = /^(?:Nullable|LowCardinality)\((.*)\)$/.exec(t);
    if (m === null) return t;
    t = m[1] as string;
  }
}

/** A column as text: DateTime in UTC with a 'Z'; nested types are refused (no destination takes them). */
export function textExpression(def: Pick<SyncDef, 'name' | 'file'>, column: SourceColumn): string {
  const c = quoteIdent(column.name);
  const base = baseType(column.type);
  if (/^(Array|Map|Tuple|Nested|Object|JSON|Variant|Dynamic|AggregateFunction)\b/.test(base))
    throw new FareboxError(
      'sync_invalid',
      `sync ${def.name}: column '${column.name}' is ${column.type}, which a sync cannot send`,
      {
        where: def.file,
        hint: "turn it into a plain value in the source SQL, e.g. arrayStringConcat(col, ',') or toJSONString(col)",
      },
    );
  if (base.startsWith('DateTime')) return `concat(toString(${c}, 'UTC'), 'Z')`;
  return `toString(${c})`;
}

/** Where an expression reads a mapped column: the source's own name, or the plan query's r0 … rn. */
type Reader = (c: MappedColumn, i: number) => string;
const bySourceName: Reader = (c) => c.from;
const byPosition: Reader = (_c, i) => `_fbx_r${i}`;

/** The row key as text: one column's text, or the parts joined by the unit separator. */
export function keyExpression(def: SyncDef, columns: MappedColumn[], read: Reader = bySourceName): string {
  const parts = def.primaryKey.map((k) => {
    const i = columns.findIndex((c) => c.from === k);
    const column = columns[i] as MappedColumn;
    return textExpression(def, { name: read(column, i), type: column.chType });
  });
  return parts.length === 1 ? (parts[0] as string) : `concat(${parts.join(`, '${keySeparator}', `)})`;
}

/**
 * cityHash64 over columns as they are (cheaper than their text), telling NULL from any value. Old servers
 * (`legacy`) hash numbers and strings only: there, other types (Decimal, Date …) are hashed as text. A
 * column whose type changes is caught by the schema check before its new hash counts.
 */
function typedHash(columns: MappedColumn[], legacy: boolean, read: Reader): string {
  const args = columns.flatMap((c, i) => {
    const col = quoteIdent(read(c, i));
    const nullable = /^Nullable\(/.test(c.chType);
    const value = nullable ? `assumeNotNull(${col})` : col;
    const hashed =
      !legacy || /^(U?Int\d+|Float\d+|String|FixedString\(\d+\))$/.test(baseType(c.chType))
        ? value
        : `toString(${value})`;
    return nullable ? [`isNull(${col})`, hashed] : [hashed];
  });
  return `cityHash64(${args.join(', ')})`;
}

/**
 * The source for the diff: per row a hash of its key and a hash of its mapped columns, both over the
 * values as they are, and the columns as r0 … rn. Text (valueTexts, planKey) is made for changed rows
 * only, after the join.
 */
export function keyedSource(def: SyncDef, columns: MappedColumn[], legacy: boolean): string {
  const raw = columns.map((c, i) => `${quoteIdent(c.from)} AS _fbx_r${i}`);
  const keys = columns.filter((c) => c.key);
  return [
    `SELECT ${typedHash(keys, legacy, bySourceName)} AS _fbx_khash, ${typedHash(columns, legacy, bySourceName)} AS _fbx_hash,`,
    raw.join(', '),
    `FROM (${sourceQuery(def)})`,
  ].join(' ');
}

/** The key as text over keyedSource's r0 … rn. */
export function planKey(def: SyncDef, columns: MappedColumn[]): string {
  return keyExpression(def, columns, byPosition);
}

/** keyedSource's r0 … rn as text, in the plan's column order. */
export function valueTexts(def: SyncDef, columns: MappedColumn[]): string[] {
  return columns.map((c, i) => textExpression(def, { name: `_fbx_r${i}`, type: c.chType }));
}

/** The source's keys as text. */
export function sourceKeys(def: SyncDef, columns: MappedColumn[]): string {
  return `SELECT ${keyExpression(def, columns)} FROM (${sourceQuery(def)})`;
}

/**
 * Refuses a source whose key is not a key: NULL in a key column, or one key on several rows, named with
 * a few examples (a destination would otherwise take whichever row came last).
 */
export async function checkKeys(warehouse: Warehouse, def: SyncDef, columns: MappedColumn[]): Promise<void> {
  const raw = def.primaryKey.map(quoteIdent).join(', ');
  const anyNull = def.primaryKey.map((k) => `isNull(${quoteIdent(k)})`).join(' OR ');
  // First the cheap question (is any key repeated or NULL?), then, only if so, which.
  const [quick] = await (
    await warehouse.client.query({
      query: `SELECT count() - uniqExact(${raw}) AS repeated, countIf(${anyNull}) AS nulls FROM (${sourceQuery(def)})`,
      format: 'JSONEachRow',
    })
  ).json<{ repeated: string; nulls: string }>();
  if (Number(quick?.repeated ?? 0) === 0 && Number(quick?.nulls ?? 0) === 0) return;
  const key = keyExpression(def, columns);
  // Grouped by the key columns as they are (numbers group faster than their text).
  const result = await warehouse.client.query({
    query: `SELECT if(${anyNull}, '(NULL)', ${key}) AS k, count() AS n FROM (${sourceQuery(def)}) GROUP BY ${raw} HAVING n > 1 OR ${anyNull} ORDER BY n DESC LIMIT 5`,
    format: 'JSONEachRow',
  });
  const bad = await result.json<{ k: string; n: string }>();
  if (bad.length === 0) return;
  throw new FareboxError(
    'sync_invalid',
    `sync ${def.name}: source.primary_key (${def.primaryKey.join(', ')}) is not unique and non-NULL in the source: ${bad
      .map((b) => `${b.k.replaceAll('\x1F', ', ')} on ${b.n} rows`)
      .join('; ')}`,
    {
      where: def.file,
      hint: 'fix the model (or the SQL) so that each key has one row, or choose a primary key that is one',
    },
  );
}
