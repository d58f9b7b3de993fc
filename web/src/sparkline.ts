// Inline SVG sparklines for the overview: cheap enough to redraw every few seconds for every row.
const NS = 'http://www.w3.org/2000/svg';

export function sparkline(
  values: Array<number | null>,
  opts: { width?: number; height?: number; tone?: string } = {},
): SVGSVGElement {
  const width = opts.width ?? 48;
  const height = opts.height ?? 24;
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('class', `spark ${opts.tone ?? ''}`);
  svg.setAttribute('aria-hidden', 'true');
  // A series younger than the window (a fresh server, a new version) starts where its data does,
  // rather than being squeezed into the last few pixels.
  const first = values.findIndex((v) => v !== null && Number.isFinite(v));
  if (first < 0) return svg;
  values = values.slice(first);
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const max = Math.max(...known);
  const min = Math.min(0, ...known);
  const span = max - min || 1;
  const dx = values.length > 1 ? width / (values.length - 1) : width;
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      pen = false;
      return;
    }
    const x = (i * dx).toFixed(1);
    const y = (height - 2 - ((v - min) / span) * (height - 4)).toFixed(1);
    d += `${pen ? 'L' : 'M'}${x} ${y}`;
    pen = true;
  });
  if (known.length === 1) d += 'h-3'; // one point (a fresh series): a short stroke, not nothing
  const path = document.createElementNS(NS, 'path');
  path.setAttribute('d', d);
  svg.append(path);
  return svg;
}
