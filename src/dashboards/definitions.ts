/**
 * Dashboards are YAML files in FAREBOX_DASHBOARDS: `{ dashboard, title, charts: [{ name, title, type, sql,
 * x?, y?, series? }] }`, checked with zod when loaded (an error names the file and the field). A chart's SQL
 * may use the filters `{from}`, `{to}` and `{borough}`, bound as ClickHouse query parameters when it runs.
 * A chart may instead read a built-in `source` that is not in the warehouse (sources.ts): the consumer lag,
 * the scheduler's job runs, the transform project's lineage.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { FareboxError } from '../errors/index.ts';

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, _ and - only');

export const chartTypes = ['line', 'bar', 'table', 'number', 'map', 'histogram', 'graph'] as const;
export const chartSources = ['consumer_lag', 'job_runs', 'lineage'] as const;

export const chartSchema = z
  .strictObject({
    name,
    title: z.string().min(1),
    type: z.enum(chartTypes),
    sql: z.string().min(1).optional(),
    source: z.enum(chartSources).optional(),
    x: z.string().optional(),
    y: z.union([z.string(), z.array(z.string())]).optional(),
    /** A column whose values become one line or bar group each (the rows are long: x, series, y). */
    series: z.string().optional(),
    description: z.string().optional(),
    /** Columns holding bytes as base64, shown as (at most 200 characters of) UTF-8 text. */
    base64: z.array(z.string()).optional(),
  })
  .refine((c) => (c.sql === undefined) !== (c.source === undefined), {
    message: 'give either sql or source, not both',
    path: ['sql'],
  });

const dashboardSchema = z.strictObject({
  dashboard: name,
  title: z.string().min(1),
  description: z.string().optional(),
  charts: z.array(chartSchema).min(1),
});

export type Chart = z.infer<typeof chartSchema>;
export type Dashboard = z.infer<typeof dashboardSchema>;

/** One dashboard file's text, checked. */
export function parseDashboard(file: string, text: string): Dashboard {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (e) {
    throw new FareboxError('bad_request', `dashboard ${file} is not valid YAML: ${(e as Error).message}`, {
      where: file,
    });
  }
  const parsed = dashboardSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    throw new FareboxError(
      'bad_request',
      `dashboard ${file}: ${field === '' ? '' : `field '${field}': `}${issue?.message ?? 'invalid'}`,
      { where: field === '' ? file : `${file}: ${field}` },
    );
  }
  const d = parsed.data;
  const seen = new Set<string>();
  for (const c of d.charts) {
    if (seen.has(c.name))
      throw new FareboxError('bad_request', `dashboard ${file}: two charts are named '${c.name}'`, {
        where: `${file}: charts`,
      });
    seen.add(c.name);
  }
  return d;
}

/** Every dashboard of the folder, by name; a missing folder has none. */
export function loadDashboards(dir: string): Map<string, Dashboard> {
  return new Map([...dashboardFiles(dir)].map(([k, v]) => [k, v.dashboard]));
}

/**
 * Each file parsed once per version: every chart request reads its dashboard, and a file changes only when
 * someone edits it or saves a chart into it (its modification time and size then change, and it is read
 * again, so edits show at once).
 */
const parsed = new Map<string, { version: string; dashboard: Dashboard }>();

function parsedFile(file: string): Dashboard {
  const stat = fs.statSync(file);
  const version = `${stat.mtimeMs}:${stat.size}`;
  const cached = parsed.get(file);
  if (cached?.version === version) return cached.dashboard;
  const dashboard = parseDashboard(file, fs.readFileSync(file, 'utf8'));
  parsed.set(file, { version, dashboard });
  return dashboard;
}

function dashboardFiles(dir: string): Map<string, { file: string; dashboard: Dashboard }> {
  const out = new Map<string, { file: string; dashboard: Dashboard }>();
  if (!fs.existsSync(dir)) return out;
  for (const f of fs.readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(f)) continue;
    const file = path.join(dir, f);
    const d = parsedFile(file);
    if (out.has(d.dashboard))
      throw new FareboxError('bad_request', `two dashboards are named '${d.dashboard}'`, { where: file });
    out.set(d.dashboard, { file, dashboard: d });
  }
  return out;
}

/**
 * Adds a chart to a dashboard's file (made when there is no such dashboard yet), keeping the file's
 * comments and layout; the file is checked whole before it replaces the old one.
 */
export function addChart(
  dir: string,
  dashboard: string,
  chart: Record<string, unknown>,
  newTitle?: string,
): { file: string; dashboard: Dashboard } {
  if (!name.safeParse(dashboard).success)
    throw new FareboxError(
      'bad_request',
      `dashboard name '${dashboard}': lower-case letters, digits, _ and -`,
      {
        where: 'dashboard',
      },
    );
  const existing = dashboardFiles(dir).get(dashboard);
  const file = existing?.file ?? path.join(dir, `${dashboard}.yaml`);
  const doc =
    existing === undefined
      ? new YAML.Document({ dashboard, title: newTitle ?? dashboard, charts: [] })
      : YAML.parseDocument(fs.readFileSync(file, 'utf8'));
  if (existing?.dashboard.charts.some((c) => c.name === chart.name))
    throw new FareboxError(
      'bad_request',
      `dashboard '${dashboard}' already has a chart '${String(chart.name)}'`,
      {
        where: 'name',
        hint: 'pick another chart name',
      },
    );
  doc.addIn(['charts'], doc.createNode(chart));
  const text = doc.toString({ lineWidth: 0 });
  const checked = parseDashboard(file, text);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rm(tmp, { force: true }, () => undefined);
    throw new FareboxError('forbidden', `cannot write ${file}: ${(e as Error).message}`, {
      cause: e,
      where: file,
      hint: 'saving charts needs a writable dashboards folder: point FAREBOX_DASHBOARDS at one (in a container, a volume)',
    });
  }
  return { file, dashboard: checked };
}
