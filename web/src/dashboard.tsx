/**
 * A dashboard: its filters (time range and borough, kept in the URL), auto-refresh, and its charts. A
 * relative range (the last hour …) moves with each refresh.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, type Dashboard as DashboardDef } from './api.ts';
import { Chart } from './chart.tsx';
import { filtersOf, ranges, refreshes } from './filters.ts';
import { go, type Route } from './route.ts';

export function DashboardPage({ name, route }: { name: string; route: Route }) {
  const [def, setDef] = useState<DashboardDef | { error: string; hint?: string } | undefined>(undefined);
  const [boroughs, setBoroughs] = useState<string[]>([]);
  const [tick, setTick] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  const params = route.params;
  const refresh = params.get('refresh') ?? 'off';

  useEffect(() => {
    setDef(undefined);
    api
      .dashboard(name)
      .then(setDef, (e: { message: string; hint?: string }) =>
        setDef({ error: e.message, ...(e.hint === undefined ? {} : { hint: e.hint }) }),
      );
  }, [name]);
  useEffect(() => {
    api.filters().then(
      (f) => setBoroughs(f.boroughs),
      () => setBoroughs([]),
    );
  }, []);
  useEffect(() => {
    if (refresh === 'off') return;
    const t = setInterval(
      () => {
        setNow(Date.now());
        setTick((n) => n + 1);
      },
      Number(refresh) * 1000,
    );
    return () => clearInterval(t);
  }, [refresh]);

  const filters = useMemo(() => filtersOf(params, now), [params.toString(), now]);
  const set = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes))
      if (v === undefined || v === '') next.delete(k);
      else next.set(k, v);
    setNow(Date.now());
    go(`d/${name}`, next);
  };

  if (def === undefined) return <p class="muted">loading…</p>;
  if ('error' in def)
    return (
      <div class="error" role="alert">
        {def.error}
        {def.hint !== undefined && <div class="hint">{def.hint}</div>}
      </div>
    );
  const range = params.get('range') ?? 'all';
  return (
    // data-dashboard and data-query tell the browser tests which view the charts below belong to.
    <div data-dashboard={def.dashboard} data-query={params.toString()}>
      <div class="toolbar" role="toolbar" aria-label="filters">
        <h2>{def.title}</h2>
        <label>
          Time
          <select name="range" value={range} onChange={(e) => set({ range: e.currentTarget.value })}>
            {Object.entries(ranges).map(([k, r]) => (
              <option key={k} value={k}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        {range === 'custom' && (
          <>
            <label>
              From
              <input
                name="from"
                type="datetime-local"
                value={params.get('from') ?? ''}
                onChange={(e) => set({ from: e.currentTarget.value })}
              />
            </label>
            <label>
              To
              <input
                name="to"
                type="datetime-local"
                value={params.get('to') ?? ''}
                onChange={(e) => set({ to: e.currentTarget.value })}
              />
            </label>
            <span class="muted">UTC</span>
          </>
        )}
        <label>
          Borough
          <select
            name="borough"
            value={params.get('borough') ?? ''}
            onChange={(e) => set({ borough: e.currentTarget.value })}
          >
            <option value="">All boroughs</option>
            {boroughs.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </label>
        <label>
          Auto-refresh
          <select name="refresh" value={refresh} onChange={(e) => set({ refresh: e.currentTarget.value })}>
            {Object.entries(refreshes).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button
          onClick={() => {
            setNow(Date.now());
            setTick(tick + 1);
          }}
        >
          Refresh
        </button>
      </div>
      {def.description !== undefined && <p class="muted">{def.description}</p>}
      <div class="charts">
        {def.charts.map((c) => (
          <Chart key={c.name} dashboard={def.dashboard} chart={c} filters={filters} tick={tick} />
        ))}
      </div>
    </div>
  );
}
