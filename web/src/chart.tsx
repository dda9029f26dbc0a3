/**
 * One chart of a dashboard: it loads its rows with the dashboard's filters, draws them with ECharts (or
 * as a table or a number), and shows its SQL on demand. Its element carries data-chart, data-state
 * (loading, ready, empty, error) and data-rows, which the browser tests read.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ChartData, type ChartDef, type Filters } from './api.ts';
import { echarts } from './echarts.ts';
import { Grid } from './grid.tsx';
import { chartOption } from './options.ts';
import { text } from './text.ts';

type State =
  | { kind: 'loading' }
  | { kind: 'ready'; data: ChartData }
  | { kind: 'error'; message: string; hint?: string };

function Canvas({ chart, data }: { chart: ChartDef; data: ChartData }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (el.current === null) return;
    const instance = echarts.init(el.current);
    const option = chartOption(chart, data);
    if (option !== undefined) instance.setOption(option);
    const resize = new ResizeObserver(() => instance.resize());
    resize.observe(el.current);
    return () => {
      resize.disconnect();
      instance.dispose();
    };
  }, [chart, data]);
  return <div class={`canvas ${chart.type}`} ref={el} />;
}

function Number_({ data }: { data: ChartData }) {
  const first = data.columns[0]?.name ?? '';
  const v = data.rows[0]?.[first];
  return <div class="big-number">{typeof v === 'number' ? v.toLocaleString() : text(v, '—')}</div>;
}

export function Chart({
  dashboard,
  chart,
  filters,
  tick,
}: {
  dashboard: string;
  chart: ChartDef;
  filters: Filters;
  /** Changes when the dashboard refreshes. */
  tick: number;
}) {
  const [state, setState] = useState<State>({ kind: 'loading' });
  /** A request is under way; the last answer stays on screen meanwhile (no flicker on refresh). */
  const [fetching, setFetching] = useState(true);
  const [showSql, setShowSql] = useState(false);
  useEffect(() => {
    const abort = new AbortController();
    setFetching(true);
    api.chart(dashboard, chart.name, filters, abort.signal).then(
      (data) => {
        if (abort.signal.aborted) return; // an answer to filters that have changed since
        setState({ kind: 'ready', data });
        setFetching(false);
      },
      (e: unknown) => {
        if (abort.signal.aborted) return;
        const err = e as { message?: string; hint?: string };
        setState({
          kind: 'error',
          message: err.message ?? String(e),
          ...(err.hint === undefined ? {} : { hint: err.hint }),
        });
        setFetching(false);
      },
    );
    return () => abort.abort();
  }, [dashboard, chart, filters.from, filters.to, filters.borough, tick]);

  const rows = state.kind === 'ready' ? state.data.rows.length : 0;
  // What the browser tests wait on: 'loading' until the answer to the current filters is shown.
  const dataState = fetching ? 'loading' : state.kind === 'ready' && rows === 0 ? 'empty' : state.kind;
  const wide = chart.type === 'table' || chart.type === 'map' || chart.type === 'graph';
  return (
    <section
      class={`card${wide ? ' wide' : ''}`}
      data-chart={chart.name}
      data-state={dataState}
      data-rows={rows}
    >
      <header>
        <h3>{chart.title}</h3>
        <button class="link" onClick={() => setShowSql(!showSql)} aria-expanded={showSql}>
          {showSql ? 'hide SQL' : chart.sql !== undefined ? 'SQL' : 'source'}
        </button>
      </header>
      {showSql && <pre class="sql">{chart.sql ?? chart.description ?? chart.source}</pre>}
      {state.kind === 'loading' && <div class="placeholder">loading…</div>}
      {state.kind === 'error' && (
        <div class="error" role="alert">
          {state.message}
          {state.hint !== undefined && <div class="hint">{state.hint}</div>}
        </div>
      )}
      {state.kind === 'ready' && rows === 0 && (
        <div class="placeholder">{state.data.note ?? 'no rows for these filters'}</div>
      )}
      {state.kind === 'ready' &&
        rows > 0 &&
        (chart.type === 'table' ? (
          <Grid columns={state.data.columns} rows={state.data.rows} max={200} />
        ) : chart.type === 'number' ? (
          <Number_ data={state.data} />
        ) : (
          <Canvas chart={chart} data={state.data} />
        ))}
      {state.kind === 'ready' && (
        <footer class="muted">
          {rows.toLocaleString()} rows{state.data.truncated ? ' (cut at the row limit)' : ''} ·{' '}
          {state.data.elapsedMs} ms
        </footer>
      )}
    </section>
  );
}
