/**
 * Dashboards are YAML files in FAREBOX_DASHBOARDS: `{ dashboard, title, charts: [{ name, title, type, sql,
 * x?, y? }] }`, checked with zod when loaded (an error names the file and the field). A chart's SQL may use
 * the filters `{from}`, `{to}` and `{borough}`, bound as ClickHouse query parameters when it runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { FareboxError } from '../errors/index.ts';

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, _ and - only');

const chartSchema = z.strictObject({
  name,
  title: z.string().min(1),
  type: z.enum(['line', 'bar', 'table', 'number', 'map', 'histogram']),
  sql: z.string().min(1),
  x: z.string().optional(),
  y: z.union([z.string(), z.array(z.string())]).optional(),
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
  const out = new Map<string, Dashboard>();
  if (!fs.existsSync(dir)) return out;
  for (const f of fs.readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(f)) continue;
    const file = path.join(dir, f);
    const d = parseDashboard(file, fs.readFileSync(file, 'utf8'));
    if (out.has(d.dashboard))
      throw new FareboxError('bad_request', `two dashboards are named '${d.dashboard}'`, { where: file });
    out.set(d.dashboard, d);
  }
  return out;
}
