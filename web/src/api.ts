/** The dashboards API, from the browser: the session travels in an HTTP-only cookie. */

export type Role = 'viewer' | 'editor' | 'admin';
export interface User {
  name: string;
  role: Role;
}
export interface Column {
  name: string;
  type: string;
}
export type Row = Record<string, unknown>;
export interface QueryResult {
  columns: Column[];
  rows: Row[];
  truncated: boolean;
  elapsedMs: number;
}
export type ChartType = 'line' | 'bar' | 'table' | 'number' | 'map' | 'histogram' | 'graph';
export interface ChartDef {
  name: string;
  title: string;
  type: ChartType;
  sql?: string;
  source?: string;
  description?: string;
  x?: string;
  y?: string | string[];
  series?: string;
}
export interface Dashboard {
  dashboard: string;
  title: string;
  description?: string;
  charts: ChartDef[];
}
export type ChartData = QueryResult & { edges?: { from: string; to: string }[]; note?: string };
export interface Filters {
  from: string;
  to: string;
  borough: string;
}

/** An error the API sent: its code, message and what to do next. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Set by the app: what to do when a call finds the session gone. */
let onUnauthorized: () => void = () => undefined;
export function whenSignedOut(f: () => void): void {
  onUnauthorized = f;
}

/** The API's `{error: {code, message, hint?}}` of a failed response, as an ApiError. */
async function failure(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => ({}))) as {
    error?: { code: string; message: string; hint?: string };
  };
  const e = body.error ?? { code: 'http', message: `${res.status} ${res.statusText}` };
  return new ApiError(res.status, e.code, e.message, e.hint);
}

async function call<T>(method: string, route: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(route, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal === undefined ? {} : { signal }),
  });
  if (!res.ok) {
    if (res.status === 401 && route !== '/api/session') onUnauthorized();
    throw await failure(res);
  }
  return (await res.json()) as T;
}

const query = (filters: Partial<Filters>): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== '') p.set(k, v);
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
};

export const api = {
  me: () => call<{ user: User }>('GET', '/api/me'),
  signIn: (name: string, password: string) =>
    call<{ user: User }>('POST', '/api/session', { name, password }),
  signOut: () => call<{ ok: boolean }>('DELETE', '/api/session'),
  users: () => call<{ users: (User & { createdAt?: string })[] }>('GET', '/api/users'),
  addUser: (name: string, password: string, role: Role) =>
    call<{ user: User }>('POST', '/api/users', { name, password, role }),
  changeUser: (name: string, change: { role?: Role; password?: string }) =>
    call<{ user: User }>('PATCH', `/api/users/${encodeURIComponent(name)}`, change),
  removeUser: (name: string) => call<{ ok: boolean }>('DELETE', `/api/users/${encodeURIComponent(name)}`),
  changeMyPassword: (current: string, password: string) =>
    call<{ user: User }>('POST', '/api/me/password', { current, password }),
  dashboards: () =>
    call<{ dashboards: { name: string; title: string; charts: number }[] }>('GET', '/api/dashboards'),
  dashboard: (name: string) => call<Dashboard>('GET', `/api/dashboards/${encodeURIComponent(name)}`),
  chart: (dashboard: string, chart: string, filters: Partial<Filters>, signal?: AbortSignal) =>
    call<ChartData>(
      'GET',
      `/api/dashboards/${encodeURIComponent(dashboard)}/charts/${encodeURIComponent(chart)}${query(filters)}`,
      undefined,
      signal,
    ),
  saveChart: (dashboard: string, chart: ChartDef, title?: string) =>
    call<{ dashboard: Dashboard }>('POST', `/api/dashboards/${encodeURIComponent(dashboard)}/charts`, {
      chart,
      ...(title === undefined ? {} : { title }),
    }),
  filters: () => call<{ boroughs: string[] }>('GET', '/api/filters'),
  schema: () =>
    call<{ database: string; tables: { name: string; columns: Column[] }[] }>('GET', '/api/schema'),
  run: (sql: string, queryId: string, signal?: AbortSignal) =>
    call<QueryResult>('POST', '/api/query', { sql, queryId }, signal),
  cancel: (queryId: string) =>
    call<{ cancelled: boolean }>('DELETE', `/api/query/${encodeURIComponent(queryId)}`),
};

/** A query's CSV, as a download (the browser saves the response through a link). */
export async function downloadCsv(sql: string, file = 'query.csv'): Promise<void> {
  const res = await fetch('/api/query.csv', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql }),
  });
  if (!res.ok) throw await failure(res);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = file;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
