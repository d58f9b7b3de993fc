// Time-series charts on uPlot: one series per version (and percentile), release markers drawn on
// the time axis, resized with their container. The layout rules are in chart-layout.ts.
import uPlot from 'uplot';
import type { ReleaseRecord } from '../../src/api/types.ts';
import { firstDataTime, labelRows, versionLabel, visibleRange } from './chart-layout.ts';
import type { Series } from './metrics.ts';

/** Axis labels and release labels are text: as dark as style.css's --muted, --good, --bad, --warn. */
const AXIS_INK = '#556274';
const PALETTE = ['#2563eb', '#d97706', '#059669', '#9333ea', '#dc2626', '#0891b2', '#65a30d', '#db2777'];

export interface ChartLine {
  label: string;
  points: Array<[number, number | null]>;
  colorKey: string;
  dash?: number[];
}

export interface ChartSpec {
  title: string;
  lines: ChartLine[];
  format: (v: number | null) => string;
  releases: ReleaseRecord[];
  from: number;
  to: number;
  /** The series' step, ms. */
  stepMs: number;
}

export function colorFor(key: string, keys: string[]): string {
  const i = Math.max(0, keys.indexOf(key));
  return PALETTE[i % PALETTE.length] as string;
}

/** Lines of a metric, one per version. */
export function linesOf(series: Series[], suffix = '', dash?: number[]): ChartLine[] {
  return series.map((s) => ({
    label: `${versionLabel(s.version)}${suffix}`,
    points: s.points,
    colorKey: s.version,
    ...(dash ? { dash } : {}),
  }));
}

/** Draws a chart into `el`; returns a function that destroys it. */
export function drawChart(el: HTMLElement, spec: ChartSpec): () => void {
  el.replaceChildren();
  el.classList.add('chart');
  const title = document.createElement('h3');
  title.textContent = spec.title;
  el.append(title);
  const keys = [...new Set(spec.lines.map((l) => l.colorKey))];
  const xs = (spec.lines[0]?.points ?? []).map(([t]) => t / 1000);
  const data: uPlot.AlignedData = [xs, ...spec.lines.map((l) => l.points.map(([, v]) => v))];
  const points = spec.lines.reduce((n, l) => n + l.points.filter(([, v]) => v !== null).length, 0);
  el.dataset.points = String(points);
  el.dataset.series = String(spec.lines.length);
  if (spec.lines.length === 0 || points === 0) {
    const empty = document.createElement('p');
    empty.className = 'muted small empty';
    empty.textContent = 'No data in this range.';
    el.append(empty);
    return () => {};
  }
  const host = document.createElement('div');
  el.append(host);
  const shown = visibleRange({
    from: spec.from,
    to: spec.to,
    stepMs: spec.stepMs,
    firstData: firstDataTime(spec.lines.map((l) => l.points)),
    releases: spec.releases.map((r) => Date.parse(r.createdAt)),
  });
  el.dataset.from = String(shown.from);
  el.dataset.to = String(shown.to);
  const opts: uPlot.Options = {
    width: Math.max(280, el.clientWidth - 2),
    height: 220,
    scales: { x: { time: true, min: shown.from / 1000, max: shown.to / 1000 }, y: { range: yRange } },
    axes: [
      { stroke: AXIS_INK, grid: { stroke: '#e2e8f0' } },
      {
        stroke: AXIS_INK,
        grid: { stroke: '#e2e8f0' },
        size: 64,
        values: (_u, ticks) => ticks.map((t) => spec.format(t)),
      },
    ],
    series: [
      {},
      ...spec.lines.map((l) => ({
        label: l.label,
        stroke: colorFor(l.colorKey, keys),
        width: 1.5,
        spanGaps: false,
        value: (_u: uPlot, v: number | null) => spec.format(v),
        ...(l.dash ? { dash: l.dash } : {}),
      })),
    ],
    plugins: [releaseMarkers(spec.releases, el)],
    legend: { live: true },
  };
  const plot = new uPlot(opts, data, host);
  (el as HTMLElement & { uplot?: uPlot }).uplot = plot;
  const resize = new ResizeObserver(() =>
    plot.setSize({ width: Math.max(280, el.clientWidth - 2), height: 220 }),
  );
  resize.observe(el);
  return () => {
    resize.disconnect();
    plot.destroy();
  };
}

function yRange(_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  const hi = max ?? 1;
  return [Math.min(0, min ?? 0), hi > 0 ? hi * 1.1 : 1];
}

/**
 * Vertical lines where releases started, coloured by outcome, labelled with the version in rows
 * that do not overlap (labelRows); the labels drawn are listed in `el.dataset.markerLabels`.
 */
function releaseMarkers(releases: ReleaseRecord[], el: HTMLElement): uPlot.Plugin {
  const sorted = [...releases].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  return {
    hooks: {
      draw: [
        (u) => {
          const ctx = u.ctx;
          const { top, height, left, width } = u.bbox;
          const px = devicePixelRatio;
          ctx.save();
          ctx.font = `${10 * px}px system-ui, sans-serif`;
          // A label goes right of its line, or left of it where it would run past the plot.
          const shown = sorted
            .map((r) => {
              const x = u.valToPos(Date.parse(r.createdAt) / 1000, 'x', true);
              const w = ctx.measureText(r.version).width;
              const labelX = x + 3 * px + w <= left + width ? x + 3 * px : x - 3 * px - w;
              return { r, x, labelX, w };
            })
            .filter(({ x }) => x >= left && x <= left + width);
          const rows = labelRows(shown.map(({ labelX, w }) => ({ x: labelX / px, width: w / px })));
          const drawn: Array<{ version: string; x: number; width: number; row: number }> = [];
          shown.forEach(({ r, x, labelX, w }, i) => {
            ctx.strokeStyle = markerColor(r.state);
            ctx.fillStyle = ctx.strokeStyle;
            ctx.setLineDash([4 * px, 3 * px]);
            ctx.lineWidth = px;
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            const row = rows[i];
            if (row === null || row === undefined) return;
            ctx.fillText(r.version, labelX, top + (10 + 12 * row) * px);
            drawn.push({ version: r.version, x: labelX / px, width: w / px, row });
          });
          el.dataset.markerLabels = JSON.stringify(drawn);
          el.dataset.markers = String(shown.length);
          ctx.restore();
        },
      ],
    },
  };
}

function markerColor(state: string): string {
  if (state === 'succeeded') return '#047857';
  if (state === 'rolled_back' || state === 'failed' || state === 'aborted') return '#b91c1c';
  return '#b45309';
}
