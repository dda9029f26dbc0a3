/** Reading the loosely typed values that YAML and Jinja hand over. */

export function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A scalar as text (null and undefined as ''), anything else as JSON. */
export function textOf(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}

/** One value or a list of them, as a list of strings; undefined for nothing at all. */
export function textList(v: unknown): string[] | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return (Array.isArray(v) ? v : [v]).map(textOf);
}
