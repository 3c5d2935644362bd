/** One line of a chart: a name, a colour and its points (x, y); NaN y values leave a gap. */
export interface ChartSeries {
  name: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
  dashed?: boolean;
}

/** One panel: a title, axes and lines. */
export interface ChartPanel {
  title: string;
  series: readonly ChartSeries[];
  yLabel: string;
  /** Logarithmic y axis (latencies spanning orders of magnitude). */
  logY?: boolean;
  /** Fixed y range; default from the data. */
  yMin?: number;
  yMax?: number;
}

/** Colours for up to ten lines, distinguishable in print and for most colour-blind readers. */
export const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

const PANEL_WIDTH = 520;
const PANEL_HEIGHT = 260;
const MARGIN = { left: 64, right: 16, top: 28, bottom: 36 };

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const round = (value: number): string => (Math.round(value * 10) / 10).toString();

/**
 * A self-contained SVG of one or more line-chart panels in a grid (`columns` wide), with a
 * shared legend below: no chart library, readable in a browser and on GitHub.
 */
export function renderChart(options: {
  title: string;
  panels: readonly ChartPanel[];
  xLabel: string;
  columns?: number;
}): string {
  const columns = Math.min(options.columns ?? 1, options.panels.length);
  const rows = Math.ceil(options.panels.length / columns);
  const legendNames = new Map<string, { color: string; dashed: boolean }>();
  for (const panel of options.panels)
    for (const series of panel.series)
      if (!legendNames.has(series.name)) legendNames.set(series.name, { color: series.color, dashed: !!series.dashed });
  const legendColumns = Math.max(1, Math.floor((columns * PANEL_WIDTH) / 170));
  const legendRows = Math.ceil(legendNames.size / legendColumns);
  const width = columns * PANEL_WIDTH;
  const height = 36 + rows * PANEL_HEIGHT + 12 + legendRows * 20;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  options.panels.forEach((panel, index) => {
    const x = (index % columns) * PANEL_WIDTH;
    const y = 36 + Math.floor(index / columns) * PANEL_HEIGHT;
    parts.push(renderPanel(panel, x, y, options.xLabel));
  });
  let legendIndex = 0;
  for (const [name, style] of legendNames) {
    const x = 16 + (legendIndex % legendColumns) * 170;
    const y = 36 + rows * PANEL_HEIGHT + 16 + Math.floor(legendIndex / legendColumns) * 20;
    parts.push(
      `<line x1="${x}" y1="${y - 4}" x2="${x + 24}" y2="${y - 4}" stroke="${style.color}" stroke-width="2.5"${style.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
      `<text x="${x + 30}" y="${y}">${escapeXml(name)}</text>`,
    );
    legendIndex += 1;
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function renderPanel(panel: ChartPanel, originX: number, originY: number, xLabel: string): string {
  const plotWidth = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const left = originX + MARGIN.left;
  const top = originY + MARGIN.top;
  const points = panel.series.flatMap((series) => series.points.filter(([, value]) => Number.isFinite(value)));
  const xs = points.map(([xValue]) => xValue);
  const ys = points.map(([, yValue]) => yValue);
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(1, ...xs);
  const logY = panel.logY === true;
  let yMin = panel.yMin ?? (logY ? Math.max(1, Math.min(...ys)) : Math.min(0, ...ys));
  let yMax = panel.yMax ?? Math.max(...ys, yMin + 1);
  if (!Number.isFinite(yMin)) yMin = logY ? 1 : 0;
  if (!Number.isFinite(yMax) || yMax <= yMin) yMax = yMin + 1;
  const ticks = logY ? logTicks(yMin, yMax) : linearTicks(yMin, yMax);
  if (logY) {
    yMin = Math.min(yMin, ticks[0] ?? yMin);
    yMax = Math.max(yMax, ticks[ticks.length - 1] ?? yMax);
  }
  const scaleX = (value: number) => left + ((value - xMin) / (xMax - xMin)) * plotWidth;
  const scaleY = (value: number) => {
    const position = logY
      ? (Math.log10(Math.max(value, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))
      : (value - yMin) / (yMax - yMin);
    return top + plotHeight - Math.min(1, Math.max(0, position)) * plotHeight;
  };
  const parts: string[] = [
    `<text x="${left + plotWidth / 2}" y="${originY + 18}" text-anchor="middle" font-size="12" font-weight="bold">${escapeXml(panel.title)}</text>`,
    `<rect x="${left}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
  ];
  for (const tick of ticks) {
    const tickY = round(scaleY(tick));
    parts.push(
      `<line x1="${left}" y1="${tickY}" x2="${left + plotWidth}" y2="${tickY}" stroke="#e5e5e5"/>`,
      `<text x="${left - 6}" y="${tickY}" text-anchor="end" dominant-baseline="middle">${formatTick(tick)}</text>`,
    );
  }
  for (const tick of linearTicks(xMin, xMax)) {
    const tickX = round(scaleX(tick));
    parts.push(`<text x="${tickX}" y="${top + plotHeight + 14}" text-anchor="middle">${formatTick(tick)}</text>`);
  }
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${top + plotHeight + 30}" text-anchor="middle" fill="#555">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(${originX + 14} ${top + plotHeight / 2}) rotate(-90)" text-anchor="middle" fill="#555">${escapeXml(panel.yLabel)}</text>`,
  );
  for (const series of panel.series) {
    const segments: string[][] = [[]];
    for (const [xValue, yValue] of series.points) {
      if (!Number.isFinite(yValue)) {
        if ((segments[segments.length - 1] as string[]).length > 0) segments.push([]);
        continue;
      }
      (segments[segments.length - 1] as string[]).push(`${round(scaleX(xValue))},${round(scaleY(yValue))}`);
    }
    for (const segment of segments) {
      if (segment.length === 0) continue;
      parts.push(
        `<polyline fill="none" stroke="${series.color}" stroke-width="1.8"${series.dashed ? ' stroke-dasharray="5 3"' : ''} points="${segment.join(' ')}"/>`,
      );
    }
  }
  return parts.join('\n');
}

function linearTicks(min: number, max: number): number[] {
  const span = max - min;
  const step = niceStep(span / 5);
  const ticks: number[] = [];
  for (let value = Math.ceil(min / step) * step; value <= max + step * 1e-9; value += step) ticks.push(value);
  return ticks;
}

function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let exponent = Math.floor(Math.log10(min)); exponent <= Math.ceil(Math.log10(max)); exponent += 1)
    ticks.push(10 ** exponent);
  return ticks;
}

function formatTick(value: number): string {
  if (Math.abs(value) >= 1000) return `${Number((value / 1000).toFixed(1))}k`;
  return `${Number(value.toFixed(2))}`;
}
