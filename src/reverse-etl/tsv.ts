/**
 * Batches come out of the warehouse as TabSeparated text, which is already PostgreSQL's COPY text format
 * (tab between values, \N for NULL, backslash escapes), so a PostgreSQL destination passes each row's
 * values through untouched. Other destinations read `values`, parsed from the line on first use.
 */
import type { Op, SyncRow } from './types.ts';

const unescapes: Record<string, string> = {
  b: '\b',
  f: '\f',
  r: '\r',
  n: '\n',
  t: '\t',
  '0': '\0',
  "'": "'",
  '\\': '\\',
};

/** One TabSeparated field as its value: \N is NULL, escapes become their characters. */
export function unescapeField(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  return field.replace(/\\(.)/g, (_m, ch: string) => unescapes[ch] ?? ch);
}

/** A row of a batch: its key and op parsed, its values kept as the COPY line they arrived as. */
class TsvRow implements SyncRow {
  readonly op: Op;
  readonly key: string;
  /** The values as one line of COPY text, in the sync's column order. */
  readonly copyLine: string;
  readonly #names: readonly string[];
  readonly #keys: readonly boolean[];
  #values: Record<string, string | null> | undefined;

  constructor(op: Op, key: string, copyLine: string, names: readonly string[], keys: readonly boolean[]) {
    this.op = op;
    this.key = key;
    this.copyLine = copyLine;
    this.#names = names;
    this.#keys = keys;
  }

  /** Column → value; a deleted row carries its key columns only. */
  get values(): Record<string, string | null> {
    if (this.#values !== undefined) return this.#values;
    const fields = this.copyLine.split('\t');
    const values: Record<string, string | null> = {};
    this.#names.forEach((name, i) => {
      if (this.op !== 'deleted' || this.#keys[i] === true) values[name] = unescapeField(fields[i] ?? '\\N');
    });
    this.#values = values;
    return values;
  }
}

/** Lines of `key \t op \t value …` (TabSeparated) as rows of the given columns. */
export function parseBatch(text: string, columns: readonly { name: string; key: boolean }[]): SyncRow[] {
  const names = columns.map((c) => c.name);
  const keys = columns.map((c) => c.key);
  const rows: SyncRow[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const first = text.indexOf('\t', start);
    const second = text.indexOf('\t', first + 1);
    rows.push(
      new TsvRow(
        text.slice(first + 1, second) as Op,
        unescapeField(text.slice(start, first)) ?? '',
        text.slice(second + 1, end),
        names,
        keys,
      ),
    );
    start = end + 1;
  }
  return rows;
}
