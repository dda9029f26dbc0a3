/** Saving SQL lab's query as a chart of a dashboard (a new one, or one in dashboards/): editors only. */
import { useEffect, useState } from 'preact/hooks';
import { api, type ChartType, type Column } from './api.ts';

const types: ChartType[] = ['bar', 'line', 'table', 'number', 'histogram', 'map'];

export function SaveChart({
  sql,
  columns,
  onClose,
}: {
  sql: string;
  columns: Column[];
  onClose: (saved?: string) => void;
}) {
  const [dashboards, setDashboards] = useState<{ name: string; title: string }[]>([]);
  const [dashboard, setDashboard] = useState('');
  const [newTitle, setNewTitle] = useState('');
  const [name, setName] = useState('');
  const [title, setTitle] = useState('');
  const [type, setType] = useState<ChartType>('bar');
  const [x, setX] = useState(columns[0]?.name ?? '');
  const [y, setY] = useState(columns[1]?.name ?? '');
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    api.dashboards().then(
      // Offered in the field's list, never filled in: a late answer must not overwrite what was typed.
      (d) => setDashboards(d.dashboards),
      () => setDashboards([]),
    );
  }, []);
  const exists = dashboards.some((d) => d.name === dashboard);
  const axes = type !== 'table' && type !== 'number' && type !== 'map';
  const save = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      await api.saveChart(
        dashboard,
        { name, title, type, sql, ...(axes ? { x, y } : {}) },
        exists ? undefined : newTitle || dashboard,
      );
      onClose(dashboard);
    } catch (err) {
      const x = err as { message: string; hint?: string };
      setError(`${x.message}${x.hint === undefined ? '' : ` — ${x.hint}`}`);
    }
  };
  return (
    <div class="dialog-backdrop">
      <form class="dialog" onSubmit={(e) => void save(e)} aria-label="save as chart">
        <h3>Save as a chart</h3>
        <label>
          Dashboard
          <input
            name="dashboard"
            list="dashboard-names"
            value={dashboard}
            placeholder="an existing dashboard, or a new name"
            onInput={(e) => setDashboard(e.currentTarget.value)}
            required
          />
          <datalist id="dashboard-names">
            {dashboards.map((d) => (
              <option key={d.name} value={d.name}>
                {d.title}
              </option>
            ))}
          </datalist>
        </label>
        {!exists && dashboard !== '' && (
          <label>
            New dashboard's title
            <input
              name="dashboard-title"
              value={newTitle}
              onInput={(e) => setNewTitle(e.currentTarget.value)}
            />
          </label>
        )}
        <label>
          Chart name (a-z, 0-9, _)
          <input
            name="name"
            value={name}
            pattern="[a-z0-9][a-z0-9_\-]*"
            onInput={(e) => setName(e.currentTarget.value)}
            required
          />
        </label>
        <label>
          Title
          <input name="title" value={title} onInput={(e) => setTitle(e.currentTarget.value)} required />
        </label>
        <label>
          Type
          <select name="type" value={type} onChange={(e) => setType(e.currentTarget.value as ChartType)}>
            {types.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        {axes && (
          <div class="row">
            <label>
              x
              <select name="x" value={x} onChange={(e) => setX(e.currentTarget.value)}>
                {columns.map((c) => (
                  <option key={c.name}>{c.name}</option>
                ))}
              </select>
            </label>
            <label>
              y
              <select name="y" value={y} onChange={(e) => setY(e.currentTarget.value)}>
                {columns.map((c) => (
                  <option key={c.name}>{c.name}</option>
                ))}
              </select>
            </label>
          </div>
        )}
        <p class="muted">It is written to the dashboard's YAML file in dashboards/; commit it to keep it.</p>
        {error !== undefined && (
          <div class="error" role="alert">
            {error}
          </div>
        )}
        <div class="row">
          <button type="submit" class="primary">
            Save
          </button>
          <button type="button" onClick={() => onClose()}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}
