// Instance CPU, memory and restarts as sampled by the process sampler (or another runtime's), kept
// in memory for an hour and read per version as the sum over its instances.

export interface InstanceSample {
  instanceId: string;
  environment: string;
  version: string;
  /** Epoch ms of the sample. */
  at: number;
  /** CPU used since the previous sample, as a fraction of one core; null when unknown (first sample). */
  cpu: number | null;
  /** Resident memory in bytes; null when unknown. */
  rssBytes: number | null;
  /** Restarts of the instance so far, when the runtime counts them. */
  restarts?: number;
}

export type InstanceMetric = 'instance_cpu' | 'instance_memory' | 'instance_restarts';

export const INSTANCE_METRICS: readonly string[] = ['instance_cpu', 'instance_memory', 'instance_restarts'];

/** A gauge with no sample inside a step takes the newest sample at most this old. */
const STALENESS_MS = 10_000;

interface InstanceHistory {
  environment: string;
  version: string;
  samples: InstanceSample[];
}

export class InstanceSamples {
  readonly #byInstance = new Map<string, InstanceHistory>();

  add(s: InstanceSample): void {
    let h = this.#byInstance.get(s.instanceId);
    if (!h || h.environment !== s.environment || h.version !== s.version) {
      h = { environment: s.environment, version: s.version, samples: [] };
      this.#byInstance.set(s.instanceId, h);
    }
    const last = h.samples[h.samples.length - 1];
    if (last && last.at > s.at) return;
    h.samples.push(s);
  }

  /** Drops samples older than `before` (epoch ms), and instances left with none. */
  dropBefore(before: number): void {
    for (const [id, h] of this.#byInstance) {
      const keep = h.samples.findIndex((s) => s.at >= before);
      if (keep === -1) this.#byInstance.delete(id);
      else if (keep > 0) h.samples.splice(0, keep);
    }
  }

  /** Versions of an environment with samples in [from, to). */
  versions(environment: string, from: number, to: number): string[] {
    const out = new Set<string>();
    for (const h of this.#byInstance.values()) {
      if (h.environment === environment && h.samples.some((s) => s.at >= from - STALENESS_MS && s.at < to))
        out.add(h.version);
    }
    return [...out].sort();
  }

  /** One value per step start in `starts` (each step `step` ms long), summed over the version's instances. */
  points(
    metric: InstanceMetric,
    environment: string,
    version: string,
    starts: number[],
    step: number,
  ): Array<[number, number | null]> {
    const histories = [...this.#byInstance.values()].filter(
      (h) => h.environment === environment && h.version === version,
    );
    return starts.map((t) => {
      let sum: number | null = null;
      for (const h of histories) {
        const v = valueInStep(metric, h.samples, t, t + step);
        if (v !== null) sum = (sum ?? 0) + v;
      }
      return [t, sum];
    });
  }
}

function valueInStep(
  metric: InstanceMetric,
  samples: InstanceSample[],
  from: number,
  to: number,
): number | null {
  const first = firstAtOrAfter(samples, from);
  if (metric === 'instance_restarts') return restartsInStep(samples, first, to);
  const pick = metric === 'instance_cpu' ? (s: InstanceSample) => s.cpu : (s: InstanceSample) => s.rssBytes;
  let total = 0;
  let n = 0;
  for (let i = first; i < samples.length && (samples[i] as InstanceSample).at < to; i++) {
    const v = pick(samples[i] as InstanceSample);
    if (v === null) continue;
    total += v;
    n++;
  }
  if (n > 0) return total / n;
  for (let i = first - 1; i >= 0; i--) {
    const s = samples[i] as InstanceSample;
    if (s.at < from - STALENESS_MS) break;
    const v = pick(s);
    if (v !== null) return v;
  }
  return null;
}

/** Restarts that happened during the step: the counter's increase over it. */
function restartsInStep(samples: InstanceSample[], first: number, to: number): number | null {
  let base: number | undefined;
  for (let i = first - 1; i >= 0 && base === undefined; i--) base = (samples[i] as InstanceSample).restarts;
  let end: number | undefined;
  for (let i = first; i < samples.length && (samples[i] as InstanceSample).at < to; i++) {
    const r = (samples[i] as InstanceSample).restarts;
    if (r === undefined) continue;
    base ??= r;
    end = r;
  }
  if (end === undefined || base === undefined) return null;
  return Math.max(0, end - base);
}

/** Index of the first sample at or after `t` (samples are in time order). */
function firstAtOrAfter(samples: InstanceSample[], t: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((samples[mid] as InstanceSample).at < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
