/** SQL lab's query history, in this browser's local storage: the newest 50 queries, newest first. */
export interface HistoryEntry {
  sql: string;
  at: string;
  ok: boolean;
  rows?: number;
  ms?: number;
  error?: string;
}

const key = 'farebox.sqllab.history';

export function readHistory(): HistoryEntry[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(key) ?? '[]');
    return Array.isArray(v) ? (v as HistoryEntry[]) : [];
  } catch {
    return [];
  }
}

export function remember(entry: HistoryEntry): HistoryEntry[] {
  const next = [entry, ...readHistory().filter((h) => h.sql !== entry.sql)].slice(0, 50);
  localStorage.setItem(key, JSON.stringify(next));
  return next;
}
