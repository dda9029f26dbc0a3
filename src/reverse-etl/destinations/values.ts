/**
 * Values as JSON destinations (HTTP, Kafka) receive them: a column's text, as ClickHouse printed it,
 * turned into the JSON value its ClickHouse type means.
 *
 * - null stays null; Nullable(..) and LowCardinality(..) are looked through.
 * - Int8–Int32, UInt8–UInt32, Float32/64 → a number; 'nan', 'inf' and '-inf' → null (JSON has no
 *   such numbers, and null is what a JSON reader can handle without guessing).
 * - Int64, UInt64 and wider → a number when it is a safe integer (|n| ≤ 2^53 − 1), else the text,
 *   so that no digit is lost.
 * - Decimal(..) → a number when it has at most 15 significant digits (a double holds those exactly),
 *   else the text, for the same reason.
 * - Bool → true / false.
 * - Everything else (String, FixedString, Date, DateTime as ISO text in UTC, UUID, Enum, IPv4 …) → the text.
 *
 * A text that does not read as its type (it should not happen) is sent as it is.
 */
import type { SyncColumn, SyncRow } from '../types.ts';

const wrapper = /^(?:Nullable|LowCardinality)\((.*)\)$/;

/** The type under any Nullable(..) and LowCardinality(..). */
export function baseChType(chType: string): string {
  let t = chType.trim();
  for (let m = wrapper.exec(t); m?.[1] !== undefined; m = wrapper.exec(t)) t = m[1].trim();
  return t;
}

const smallInt = /^U?Int(8|16|32)$/;
const bigInt = /^U?Int(64|128|256)$/;
const integerText = /^[+-]?\d+$/;
const decimalText = /^[+-]?(\d+)(?:\.(\d+))?$/;

function float(text: string): number | string | null {
  if (/^[+-]?(nan|inf|infinity)$/i.test(text)) return null;
  const n = Number(text);
  return text.trim() === '' || Number.isNaN(n) ? text : n;
}

function decimal(text: string): number | string {
  const m = decimalText.exec(text);
  if (m === null) return text;
  const digits = `${m[1] ?? ''}${m[2] ?? ''}`.replace(/^0+/, '').replace(/0+$/, '');
  return digits.length <= 15 ? Number(text) : text;
}

export function jsonValue(text: string | null, chType: string): unknown {
  if (text === null) return null;
  const t = baseChType(chType);
  if (smallInt.test(t)) return integerText.test(text) ? Number(text) : text;
  if (bigInt.test(t)) {
    if (!integerText.test(text)) return text;
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : text;
  }
  if (t === 'Float32' || t === 'Float64') return float(text);
  if (t.startsWith('Decimal')) return decimal(text);
  if (t === 'Bool')
    return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : text;
  return text;
}

/**
 * A row's values by destination column, typed, in column order. A column the row does not carry (a
 * deleted row carries only its key columns) is left out.
 */
export function jsonRow(row: SyncRow, columns: SyncColumn[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columns) {
    if (!Object.hasOwn(row.values, c.name)) continue;
    out[c.name] = jsonValue(row.values[c.name] ?? null, c.chType);
  }
  return out;
}
