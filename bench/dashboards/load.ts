/**
 * One dashboard load as a browser does it: GET the dashboard, then GET every chart at once with the filters,
 * reading each response to the end. Wall time runs from the first request until the last chart is read.
 */

export interface ChartTiming {
  chart: string;
  /** From sending the chart's request until its body was read. */
  ms: number;
  /** The warehouse query's own time, as the API reports it (elapsedMs; NaN for a chart without SQL). */
  queryMs: number;
  rows: number;
  truncated: boolean;
}

export interface Load {
  ms: number;
  /** The dashboard definition's request alone. */
  dashboardMs: number;
  charts: ChartTiming[];
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url);
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export async function loadDashboard(
  base: string,
  dashboard: string,
  filters: Record<string, string>,
): Promise<Load> {
  const started = performance.now();
  const definition = (await getJson(`${base}/api/dashboards/${dashboard}`)) as {
    charts: { name: string }[];
  };
  const dashboardMs = performance.now() - started;
  const query = new URLSearchParams(filters).toString();
  const charts = await Promise.all(
    definition.charts.map(async ({ name }): Promise<ChartTiming> => {
      const t = performance.now();
      const body = (await getJson(
        `${base}/api/dashboards/${dashboard}/charts/${name}${query === '' ? '' : `?${query}`}`,
      )) as { rows?: unknown[]; elapsedMs?: number; truncated?: boolean };
      return {
        chart: name,
        ms: performance.now() - t,
        queryMs: body.elapsedMs ?? Number.NaN,
        rows: body.rows?.length ?? 0,
        truncated: body.truncated ?? false,
      };
    }),
  );
  return { ms: performance.now() - started, dashboardMs, charts };
}

/** The value at or below which `p` of the sorted samples fall (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
}
