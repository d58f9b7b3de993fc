// Merging per-second reservoirs into one uniform sample of a window. Each second kept at most `cap`
// of its latencies (Algorithm R), so a second's samples stand for `seen / kept` requests each: a
// window's sample takes from every second in proportion to the requests it saw, not to what it kept.

export interface ReservoirPart {
  samples: Float64Array;
  /** Latencies offered to this reservoir; the first min(seen, samples.length) samples are valid. */
  seen: number;
}

/** Up to `max` latencies drawn uniformly from the requests of all parts (all of them when they fit). */
export function mergeReservoirs(parts: readonly ReservoirPart[], max: number): number[] {
  let seen = 0;
  let kept = 0;
  for (const p of parts) {
    seen += p.seen;
    kept += keptOf(p);
  }
  const out: number[] = [];
  if (max <= 0 || seen === 0) return out;
  if (kept === seen && kept <= max) {
    for (const p of parts) for (let i = 0; i < p.seen; i++) out.push(p.samples[i] as number);
    return out;
  }
  // The budget is bounded by the part that kept the smallest share of what it saw, so that every
  // part can give its full proportional quota.
  let budget = Math.min(max, kept);
  for (const p of parts) if (p.seen > 0) budget = Math.min(budget, (keptOf(p) * seen) / p.seen);
  for (const p of parts) {
    const exact = (budget * p.seen) / seen;
    // Randomised rounding keeps the expected share of every second exact.
    const whole = Math.floor(exact);
    const quota = Math.min(keptOf(p), whole + (Math.random() < exact - whole ? 1 : 0));
    selectInto(out, p.samples, keptOf(p), quota);
  }
  return out;
}

function keptOf(p: ReservoirPart): number {
  return Math.min(p.seen, p.samples.length);
}

/** Knuth's selection sampling: `want` of the first `n` values, each subset equally likely. */
function selectInto(out: number[], values: Float64Array, n: number, want: number): void {
  let needed = want;
  for (let i = 0; i < n && needed > 0; i++) {
    if (Math.random() * (n - i) < needed) {
      out.push(values[i] as number);
      needed--;
    }
  }
}
