// Pure layout decisions of the environment charts, kept apart from uPlot and the DOM so they can
// be tested directly: which stretch of time a chart shows, where release labels go, and what a
// series is called.

/** A chart never shows less than this much time, so a few points do not fill its whole width… */
export const MIN_VISIBLE_SPAN_MS = 60_000;
/** …nor fewer than this many steps of its series (1 min at the 1 h range's 5 s, 3 h on 7 d). */
export const MIN_VISIBLE_STEPS = 12;
/** Rows of release labels at the top of a chart; a label that fits in none is left out. */
export const MARKER_LABEL_ROWS = 3;
/** Horizontal room between two labels of one row, in CSS pixels. */
export const MARKER_LABEL_GAP = 6;

/**
 * The stretch of time a chart shows: the chosen range, except that it starts where the data (or
 * the first release marker in the range) does, so a young server's minutes are not squeezed
 * against the right edge of a 1 h chart. Never shorter than MIN_VISIBLE_SPAN_MS or
 * MIN_VISIBLE_STEPS steps, nor longer than the range. Epoch ms.
 */
export function visibleRange(opts: {
  from: number;
  to: number;
  stepMs: number;
  /** Time of the first non-null point of any series; null when there is none. */
  firstData: number | null;
  /** Times of the release markers. */
  releases: readonly number[];
}): { from: number; to: number } {
  const { from, to } = opts;
  const inRange = opts.releases.filter((t) => t >= from && t <= to);
  const starts = [...(opts.firstData === null ? [] : [opts.firstData]), ...inRange];
  if (starts.length === 0) return { from, to };
  const minSpan = Math.max(MIN_VISIBLE_SPAN_MS, MIN_VISIBLE_STEPS * opts.stepMs);
  const start = Math.min(...starts, to - minSpan);
  return { from: Math.max(from, start), to };
}

/** The first time with a value in any of the series, or null. */
export function firstDataTime(
  series: ReadonlyArray<ReadonlyArray<readonly [number, number | null]>>,
): number | null {
  let first: number | null = null;
  for (const points of series) {
    const hit = points.find(([, v]) => v !== null);
    if (hit && (first === null || hit[0] < first)) first = hit[0];
  }
  return first;
}

export interface MarkerLabel {
  /** Left edge of the label (the marker's x plus a small offset), CSS pixels. */
  x: number;
  width: number;
}

/**
 * Rows for release labels drawn left to right: each label takes the first row where it does not
 * overlap the previous label of that row; null when none has room (the marker line still shows).
 * Labels are given in the order of their x.
 */
export function labelRows(labels: readonly MarkerLabel[], rows = MARKER_LABEL_ROWS): Array<number | null> {
  const rightEdges: number[] = Array.from({ length: rows }, () => Number.NEGATIVE_INFINITY);
  return labels.map((l) => {
    const row = rightEdges.findIndex((edge) => l.x >= edge + MARKER_LABEL_GAP);
    if (row < 0) return null;
    rightEdges[row] = l.x + l.width;
    return row;
  });
}

/** Requests the proxy answered itself (refused, or no instance to send them to) carry no version. */
export const NO_VERSION_LABEL = 'proxy';
/** What NO_VERSION_LABEL means, for a tooltip. */
export const NO_VERSION_TITLE =
  'requests the proxy answered itself: refused (429, 413) or with no ready instance to send them to (503)';

/** What a series of `version` is called in legends and tables. */
export function versionLabel(version: string): string {
  return version === '' ? NO_VERSION_LABEL : version;
}
