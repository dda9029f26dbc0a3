/**
 * SQL lab: the schema browser, the editor (ClickHouse highlighting, completion of tables and columns),
 * Run and Cancel, the result grid, CSV download, the query history, and saving a query as a chart.
 * Queries run read-only on the server, with its time and row limits.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, downloadCsv, type Column, type QueryResult, type User } from './api.ts';
import { createEditor, type Editor } from './editor.ts';
import { Grid } from './grid.tsx';
import { readHistory, remember, type HistoryEntry } from './history.ts';
import { go } from './route.ts';
import { SaveChart } from './save-chart.tsx';

type Result =
  | { kind: 'idle' }
  | { kind: 'running' }
  | { kind: 'done'; result: QueryResult }
  | { kind: 'error'; message: string; hint?: string };

const firstQuery =
  'SELECT pu_borough, count() AS trips, round(avg(fare_amount), 2) AS avg_fare\nFROM fct_trips\nGROUP BY pu_borough\nORDER BY trips DESC';

/**
 * A query's id, for Cancel. Not crypto.randomUUID(): browsers offer it on HTTPS and localhost only, and the
 * app may be served over plain HTTP inside a company network.
 */
function newQueryId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function SqlLab({ user }: { user: User }) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<Editor | undefined>(undefined);
  const running = useRef<{ id: string; abort: AbortController } | undefined>(undefined);
  const [tables, setTables] = useState<{ name: string; columns: Column[] }[]>([]);
  const [open, setOpen] = useState<string | undefined>(undefined);
  const [result, setResult] = useState<Result>({ kind: 'idle' });
  const [history, setHistory] = useState<HistoryEntry[]>(readHistory);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState<string | undefined>(undefined);

  const run = async () => {
    const sql = editor.current?.text().trim() ?? '';
    if (sql === '' || running.current !== undefined) return;
    const id = newQueryId();
    const abort = new AbortController();
    running.current = { id, abort };
    setResult({ kind: 'running' });
    const at = new Date().toISOString();
    try {
      const r = await api.run(sql, id, abort.signal);
      setResult({ kind: 'done', result: r });
      setHistory(remember({ sql, at, ok: true, rows: r.rows.length, ms: r.elapsedMs }));
    } catch (e) {
      const err = e as { message: string; hint?: string; name?: string };
      const message = err.name === 'AbortError' ? 'query cancelled' : err.message;
      setResult({ kind: 'error', message, ...(err.hint === undefined ? {} : { hint: err.hint }) });
      setHistory(remember({ sql, at, ok: false, error: message }));
    } finally {
      running.current = undefined;
    }
  };
  const cancel = async () => {
    const r = running.current;
    if (r === undefined) return;
    // ClickHouse stops the query and the pending call answers 'query cancelled'; when the server did not
    // find it (not started yet, or already done), the browser stops waiting instead.
    const found = await api.cancel(r.id).then(
      (x) => x.cancelled,
      () => false,
    );
    if (!found) r.abort.abort();
  };

  useEffect(() => {
    if (host.current === null) return;
    const e = createEditor(host.current, readHistory()[0]?.sql ?? firstQuery, () => void run());
    editor.current = e;
    api.schema().then(
      (s) => {
        setTables(s.tables);
        e.setSchema(Object.fromEntries(s.tables.map((t) => [t.name, t.columns.map((c) => c.name)])));
      },
      () => setTables([]),
    );
    return () => e.view.destroy();
  }, []);

  const insert = (text: string) => {
    const view = editor.current?.view;
    if (view === undefined) return;
    view.dispatch(view.state.replaceSelection(text));
    view.focus();
  };
  const isRunning = result.kind === 'running';
  const canSave = user.role !== 'viewer' && result.kind === 'done';
  return (
    <div class="sqllab">
      <aside class="schema" aria-label="schema">
        <h3>Tables</h3>
        <ul>
          {tables.map((t) => (
            <li key={t.name}>
              <button
                class="link"
                onClick={() => setOpen(open === t.name ? undefined : t.name)}
                onDblClick={() => insert(t.name)}
              >
                {open === t.name ? '▾' : '▸'} {t.name}
              </button>
              {open === t.name && (
                <ul>
                  {t.columns.map((c) => (
                    <li key={c.name}>
                      <button class="link col" onClick={() => insert(c.name)} title="insert into the editor">
                        {c.name} <span class="muted">{c.type}</span>
                      </button>
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      </aside>
      <div class="lab-main">
        <div class="editor" ref={host} />
        <div class="toolbar">
          <button class="primary" onClick={() => void run()} disabled={isRunning}>
            Run <span class="muted">Ctrl-Enter</span>
          </button>
          <button onClick={() => void cancel()} disabled={!isRunning}>
            Cancel
          </button>
          <button
            onClick={() =>
              void downloadCsv(editor.current?.text() ?? '').catch((e: { message: string }) =>
                setResult({ kind: 'error', message: e.message }),
              )
            }
          >
            Download CSV
          </button>
          {user.role !== 'viewer' && (
            <button
              onClick={() => setSaving(true)}
              disabled={!canSave}
              title={canSave ? '' : 'run the query first'}
            >
              Save as chart
            </button>
          )}
          {notice !== undefined && <span class="notice">{notice}</span>}
        </div>
        <div class="result" data-state={result.kind}>
          {result.kind === 'running' && <p class="muted">running…</p>}
          {result.kind === 'error' && (
            <div class="error" role="alert">
              {result.message}
              {result.hint !== undefined && <div class="hint">{result.hint}</div>}
            </div>
          )}
          {result.kind === 'done' && (
            <>
              <p class="muted" data-rows={result.result.rows.length}>
                {result.result.rows.length.toLocaleString()} rows in {result.result.elapsedMs} ms
                {result.result.truncated ? ' — cut at the row limit' : ''}
              </p>
              <Grid columns={result.result.columns} rows={result.result.rows} />
            </>
          )}
        </div>
        <details class="history">
          <summary>History ({history.length})</summary>
          <ul>
            {history.map((h) => (
              <li key={h.at}>
                <button class="link" onClick={() => editor.current?.setText(h.sql)}>
                  <code>{h.sql.length > 120 ? `${h.sql.slice(0, 120)}…` : h.sql}</code>
                </button>
                <span class={h.ok ? 'muted' : 'bad'}>
                  {' '}
                  {new Date(h.at).toLocaleString()} ·{' '}
                  {h.ok ? `${h.rows ?? 0} rows, ${h.ms ?? 0} ms` : h.error}
                </span>
              </li>
            ))}
          </ul>
        </details>
      </div>
      {saving && result.kind === 'done' && (
        <SaveChart
          sql={editor.current?.text() ?? ''}
          columns={result.result.columns}
          onClose={(saved) => {
            setSaving(false);
            if (saved !== undefined) {
              setNotice(`saved to ${saved}`);
              go(`d/${saved}`);
            }
          }}
        />
      )}
    </div>
  );
}
