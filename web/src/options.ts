/**
 * Chart options out of a chart's definition and its rows: lines over time, bars by category (one series
 * per y column, or per value of the `series` column), a histogram, vehicle positions on longitude and
 * latitude, and the lineage graph laid out in layers from sources to exposures.
 */
import type { ChartData, ChartDef, Row } from './api.ts';
import type { EChartsOption } from './echarts.ts';
import { text } from './text.ts';

const palette = ['#2f6fde', '#f5a400', '#1c9a6c', '#d6453d', '#7b4fd6', '#0aa3b5', '#8a8f98', '#c06c00'];

const ys = (chart: ChartDef, data: ChartData): string[] => {
  if (Array.isArray(chart.y)) return chart.y;
  if (chart.y !== undefined) return [chart.y];
  return data.columns.map((c) => c.name).filter((n) => n !== chart.x && n !== chart.series);
};
const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v));
/** ClickHouse's 'YYYY-MM-DD hh:mm:ss[.sss]' times are UTC. */
const time = (v: unknown): number => {
  const s = String(v);
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`);
};

type Point = [unknown, number | null];

/** Long rows (x, series, y) as one series per series value; wide rows as one series per y column. */
function seriesOf(
  chart: ChartDef,
  data: ChartData,
  x: (r: Row) => unknown,
): { name: string; data: Point[] }[] {
  const names = ys(chart, data);
  if (chart.series === undefined)
    return names.map((y) => ({ name: y, data: data.rows.map((r): Point => [x(r), num(r[y])]) }));
  const by = new Map<string, Point[]>();
  const y = names[0] ?? '';
  for (const r of data.rows) {
    const key = text(r[chart.series], '(none)');
    by.set(key, [...(by.get(key) ?? []), [x(r), num(r[y])]]);
  }
  return [...by].map(([name, points]) => ({ name, data: points }));
}

const base = (): EChartsOption => ({
  color: palette,
  animation: false,
  tooltip: { trigger: 'axis' },
  legend: { top: 0, type: 'scroll' },
  grid: { left: 56, right: 16, top: 36, bottom: 40, containLabel: true },
});

/**
 * The points in time order, with a break (a null) wherever the time from one point to the next is more
 * than twice the smallest step of any series: a line does not run across hours or months without rows as
 * if they had been measured.
 */
function brokenAtGaps(series: { name: string; data: Point[] }[]) {
  const sorted = series.map((s) => ({ ...s, data: [...s.data].sort((a, b) => Number(a[0]) - Number(b[0])) }));
  let step = Infinity;
  for (const s of sorted)
    for (let i = 1; i < s.data.length; i++) {
      const d = Number(s.data[i]?.[0]) - Number(s.data[i - 1]?.[0]);
      if (d > 0 && d < step) step = d;
    }
  return sorted.map((s) => ({
    ...s,
    data: s.data.flatMap((p, i): Point[] => {
      const prev = s.data[i - 1];
      const gap = prev === undefined ? 0 : Number(p[0]) - Number(prev[0]);
      return gap > 2 * step ? [[Number(prev?.[0]) + step, null], p] : [p];
    }),
  }));
}

function line(chart: ChartDef, data: ChartData): EChartsOption {
  const x = chart.x ?? data.columns[0]?.name ?? '';
  return {
    ...base(),
    xAxis: { type: 'time' },
    yAxis: { type: 'value' },
    dataZoom: [{ type: 'inside' }],
    // Queries may list the newest first (so that the row limit cuts the oldest): a line runs in time order.
    series: brokenAtGaps(seriesOf(chart, data, (r) => time(r[x]))).map((s) => ({
      ...s,
      type: 'line',
      showSymbol: s.data.length < 60,
    })),
  };
}

function bar(chart: ChartDef, data: ChartData, histogram: boolean): EChartsOption {
  const x = chart.x ?? data.columns[0]?.name ?? '';
  const categories = [...new Set(data.rows.map((r) => text(r[x])))];
  // Numbers in their order (hours, miles); names in the order the query gave them.
  if (categories.every((c) => c !== '' && !Number.isNaN(Number(c))))
    categories.sort((a, b) => Number(a) - Number(b));
  const series = seriesOf(chart, data, (r) => text(r[x]));
  // Long names (zones) read better down the side, the largest on top.
  const across = Math.max(0, ...categories.map((c) => c.length)) > 10 && !histogram;
  const categoryAxis = {
    type: 'category',
    data: across ? [...categories].reverse() : categories,
    ...(across ? {} : { axisLabel: { rotate: categories.length > 12 ? 40 : 0 } }),
  };
  return {
    ...base(),
    ...(across ? { grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true } } : {}),
    xAxis: across ? { type: 'value' } : categoryAxis,
    yAxis: across ? categoryAxis : { type: 'value' },
    series: series.map((s) => ({
      name: s.name,
      type: 'bar',
      ...(histogram ? { barCategoryGap: '2%' } : {}),
      ...(chart.series !== undefined ? { stack: 'total' } : {}),
      data: (across ? [...categories].reverse() : categories).map(
        (c) => s.data.find((p) => p[0] === c)?.[1] ?? null,
      ),
    })),
  };
}

function map(data: ChartData): EChartsOption {
  const statuses = [...new Set(data.rows.map((r) => text(r.status, 'unknown')))];
  return {
    color: palette,
    animation: false,
    legend: { top: 0 },
    tooltip: { trigger: 'item' },
    geo: {
      map: 'nyc',
      roam: true,
      top: 36,
      bottom: 8,
      // Degrees of longitude are shorter than of latitude by cos(40.7°): keep the city's shape.
      aspectScale: Math.cos((40.7 * Math.PI) / 180),
      itemStyle: { areaColor: '#eef1f5', borderColor: '#b8c0cc' },
      emphasis: { disabled: true },
      label: { show: true, color: '#9aa3af', fontSize: 11 },
    },
    series: statuses.map((status) => ({
      name: status,
      type: 'scatter',
      coordinateSystem: 'geo',
      symbolSize: 5,
      data: data.rows
        .filter((r) => text(r.status, 'unknown') === status)
        .map((r) => ({ value: [Number(r.lon), Number(r.lat)], name: text(r.vehicle_id) })),
    })),
  };
}

const nodeColors = {
  source: '#1c9a6c',
  seed: '#0aa3b5',
  model: '#2f6fde',
  test: '#8a8f98',
  exposure: '#f5a400',
} as const;

/**
 * Sources, seeds, models and exposures in columns by depth (the longest path from a node without
 * parents), in rows by order within a column; tests are not drawn but counted on the nodes they test.
 */
function graph(data: ChartData): EChartsOption {
  const type = new Map(data.rows.map((r) => [text(r.id), text(r.type)]));
  const tests = new Map<string, number>();
  const edges: { from: string; to: string }[] = [];
  for (const e of data.edges ?? []) {
    if (type.get(e.to) === 'test') tests.set(e.from, (tests.get(e.from) ?? 0) + 1);
    else if (type.get(e.from) !== 'test') edges.push(e);
  }
  const parents = new Map<string, string[]>();
  for (const e of edges) parents.set(e.to, [...(parents.get(e.to) ?? []), e.from]);
  const depth = new Map<string, number>();
  const depthOf = (id: string, seen = new Set<string>()): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0;
    seen.add(id);
    const d = Math.max(-1, ...(parents.get(id) ?? []).map((p) => depthOf(p, seen))) + 1;
    depth.set(id, d);
    return d;
  };
  const categories = ['source', 'seed', 'model', 'exposure'];
  const rowsAt = new Map<number, number>();
  const nodes = data.rows
    .filter((r) => text(r.type) !== 'test')
    .map((r) => {
      const id = text(r.id);
      const d = depthOf(id);
      const row = rowsAt.get(d) ?? 0;
      rowsAt.set(d, row + 1);
      const kind = text(r.type);
      const detail = [kind, text(r.materialization ?? r.kind), tests.has(id) ? `${tests.get(id)} tests` : '']
        .filter((x) => x !== '')
        .join(' · ');
      return {
        id,
        name: text(r.name),
        x: d * 300,
        y: row * 60,
        category: Math.max(0, categories.indexOf(kind)),
        symbol: 'roundRect',
        symbolSize: [14, 14],
        label: { show: true, position: 'right', fontSize: 12 },
        value: detail,
      };
    });
  return {
    color: [nodeColors.source, nodeColors.seed, nodeColors.model, nodeColors.exposure],
    animation: false,
    legend: { top: 0, data: categories },
    tooltip: { trigger: 'item', formatter: '{b}<br/>{c}' },
    series: [
      {
        type: 'graph',
        layout: 'none',
        roam: true,
        top: 40,
        left: 20,
        right: 200,
        categories: categories.map((name) => ({ name })),
        edgeSymbol: ['none', 'arrow'],
        edgeSymbolSize: 7,
        lineStyle: { color: '#9aa3af', width: 1.2, curveness: 0.1 },
        data: nodes,
        links: edges.map((e) => ({ source: e.from, target: e.to })),
      },
    ],
  };
}

/** One series needs no legend: the title names it. */
function withLegend(option: EChartsOption | undefined): EChartsOption | undefined {
  const series = option?.series;
  if (option === undefined || !Array.isArray(series) || series.length > 1 || option.legend === undefined)
    return option;
  return { ...option, legend: { show: false }, grid: { ...(option.grid as object), top: 16 } };
}

export function chartOption(chart: ChartDef, data: ChartData): EChartsOption | undefined {
  return withLegend(optionOf(chart, data));
}

function optionOf(chart: ChartDef, data: ChartData): EChartsOption | undefined {
  switch (chart.type) {
    case 'line':
      return line(chart, data);
    case 'bar':
      return bar(chart, data, false);
    case 'histogram':
      return bar(chart, data, true);
    case 'map':
      return map(data);
    case 'graph':
      return graph(data);
    default:
      return undefined;
  }
}
