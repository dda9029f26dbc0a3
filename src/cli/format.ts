/** Output helpers: tables for people, CSV and JSON for programs. */

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v.toString();
  return JSON.stringify(v);
};

export function formatTable(columns: string[], rows: Record<string, unknown>[]): string {
  const widths = columns.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  const line = (vals: string[]): string =>
    vals.map((v, i) => v.slice(0, widths[i]).padEnd(widths[i] ?? 0)).join(' │ ');
  const sep = widths.map((w) => '─'.repeat(w)).join('─┼─');
  return [line(columns), sep, ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

export function formatCsv(columns: string[], rows: Record<string, unknown>[]): string {
  const esc = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : cell(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [columns.map(esc).join(','), ...rows.map((r) => columns.map((c) => esc(r[c])).join(','))].join('\n');
}

export const n = (x: number): string => x.toLocaleString('en-US');
