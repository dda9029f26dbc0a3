/** ECharts with only the parts the dashboards use, so the bundle stays small. */
import { BarChart, GraphChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  DataZoomComponent,
  GeoComponent,
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  BarChart,
  GraphChart,
  LineChart,
  ScatterChart,
  DataZoomComponent,
  GeoComponent,
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

import boroughs from './nyc-boroughs.json';

// The five boroughs' outlines under the vehicle positions (US Census counties at 1:10m, from us-atlas).
echarts.registerMap('nyc', boroughs as Parameters<typeof echarts.registerMap>[1]);

export { echarts };
export type EChartsOption = echarts.EChartsCoreOption;
