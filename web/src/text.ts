/** A cell's value as text: strings as they are, numbers and booleans printed, anything else as JSON. */
export function text(v: unknown, empty = ''): string {
  if (v === null || v === undefined) return empty;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}
