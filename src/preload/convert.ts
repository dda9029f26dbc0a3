/** Type conversions from contract JSON to ClickHouse column text. */

/** RFC 3339 instant → ClickHouse DateTime64(3, 'UTC') text, or undefined if unparseable. */
export function toDateTime64(iso: string): string | undefined {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : msToDateTime64(ms);
}

export function msToDateTime64(ms: number): string {
  const s = new Date(ms).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 23)}`;
}

/** Dollars → Decimal(12, 2) text, exact to the cent. */
export function toDecimal(v: number): string {
  return (Math.round(v * 100) / 100).toFixed(2);
}

export function toDecimalOrNull(v: number | null | undefined): string | null {
  return v === null || v === undefined ? null : toDecimal(v);
}
