// Latency sketches: DDSketch (relative accuracy 1 %) plus the text form stored in metric rollups.
// The package's own toProto() needs protobufjs, which it does not declare as a dependency, so the
// stored form is a small JSON of the dense bins instead; it round-trips every count exactly.
import { DDSketch } from '@datadog/sketches-js';

export const SKETCH_RELATIVE_ACCURACY = 0.01;

export type Sketch = DDSketch;

interface SketchJson {
  /** Format version. */
  v: 1;
  /** Relative accuracy the sketch was built with. */
  a: number;
  /** Key of the first bin in `b`. */
  k: number;
  /** Counts of consecutive bins from key `k`. */
  b: number[];
  /** Count of zero values. */
  z: number;
  n: number;
  s: number;
  min: number | null;
  max: number | null;
}

export function createSketch(): Sketch {
  return new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
}

/** The value at quantile q (0..1), or null when the sketch is empty. */
export function quantileOf(sketch: Sketch | null, q: number): number | null {
  if (!sketch || sketch.count === 0) return null;
  const v = sketch.getValueAtQuantile(q);
  return Number.isFinite(v) ? v : null;
}

/** Adds `from` into `into`; both must come from createSketch (same accuracy). */
export function mergeSketch(into: Sketch, from: Sketch | null): void {
  if (from && from.count > 0) into.merge(from);
}

export function serializeSketch(sketch: Sketch): string {
  const store = sketch.store;
  const bins: number[] = [];
  let first = 0;
  if (store.count > 0) {
    first = store.minKey;
    for (let key = store.minKey; key <= store.maxKey; key++) bins.push(store.bins[key - store.offset] ?? 0);
  }
  const json: SketchJson = {
    v: 1,
    a: sketch.mapping.relativeAccuracy,
    k: first,
    b: bins,
    z: sketch.zeroCount,
    n: sketch.count,
    s: sketch.sum,
    min: Number.isFinite(sketch.min) ? sketch.min : null,
    max: Number.isFinite(sketch.max) ? sketch.max : null,
  };
  return JSON.stringify(json);
}

export function deserializeSketch(text: string): Sketch {
  const json = JSON.parse(text) as Partial<SketchJson>;
  if (json.v !== 1 || !Array.isArray(json.b) || typeof json.k !== 'number') {
    throw new Error('not a latency sketch written by this version of Gantry');
  }
  const sketch = new DDSketch({ relativeAccuracy: json.a ?? SKETCH_RELATIVE_ACCURACY });
  let stored = 0;
  json.b.forEach((count, i) => {
    if (count > 0) {
      sketch.store.add((json.k as number) + i, count);
      stored += count;
    }
  });
  sketch.zeroCount = json.z ?? 0;
  sketch.count = stored + sketch.zeroCount;
  sketch.sum = json.s ?? 0;
  sketch.min = json.min ?? Number.POSITIVE_INFINITY;
  sketch.max = json.max ?? Number.NEGATIVE_INFINITY;
  return sketch;
}
