/** Type conversions from contract JSON to what ClickHouse reads fastest in JSONCompactEachRow. */

/**
 * RFC 3339 instant → milliseconds since the epoch, which ClickHouse reads into DateTime64(3) as is
 * (an integer is a Unix timestamp scaled to the column's precision). Null if unparseable.
 */
export function toEpochMs(iso: string): number | null {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/** Milliseconds → ClickHouse DateTime64(3, 'UTC') text, for people-facing values such as dead letters. */
export function msToDateTime64(ms: number): string {
  const s = new Date(ms).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 23)}`;
}

/**
 * Dollars rounded to the cent. The nearest double to a whole number of cents prints as exactly that
 * decimal, so ClickHouse reads it into Decimal(12, 2) exactly.
 */
export function toCents(v: number): number {
  return Math.round(v * 100) / 100;
}

export function toCentsOrNull(v: number | null | undefined): number | null {
  return v === null || v === undefined ? null : toCents(v);
}
