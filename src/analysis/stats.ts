// The statistics behind canary analysis, as pure functions over plain numbers.
//
// erfc: below 2.5 from the all-positive series of erf (no cancellation), above it from Laplace's
// continued fraction evaluated with the modified Lentz method. Both run to double precision, so
// the error stays far below 1e-7 (tested against scipy.special.erfc).
//
// Mann–Whitney U: ranks with ties averaged, then the normal approximation with the tie-corrected
// variance and a continuity correction, the same as R's `wilcox.test(x, y, alternative =
// "greater", exact = FALSE, correct = TRUE)` and scipy's `mannwhitneyu(method="asymptotic")`.
// It is exact enough from about 20 samples a side; callers ask for at least that many.

const SQRT_PI = Math.sqrt(Math.PI);
const SERIES_LIMIT = 2.5;
const EPSILON = 1e-16;
const MAX_TERMS = 1000;
const TINY = 1e-300;

/** Complementary error function, erfc(x) = 1 − erf(x). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < SERIES_LIMIT) return 1 - erfSeries(x);
  return erfcContinuedFraction(x);
}

/** Standard normal cumulative distribution function Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Upper tail 1 − Φ(z), accurate for large z where 1 − normalCdf(z) would round to 0. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

// erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1))
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < MAX_TERMS && term > EPSILON * sum; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
  }
  return (2 / SQRT_PI) * Math.exp(-x2) * sum;
}

// erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
function erfcContinuedFraction(x: number): number {
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < MAX_TERMS; k++) {
    const a = k / 2;
    d = x + a * d;
    d = Math.abs(d) < TINY ? TINY : d;
    c = x + a / c;
    c = Math.abs(c) < TINY ? TINY : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return Math.exp(-x * x) / (SQRT_PI * f);
}

export interface RankTestResult {
  /** U of the first sample: pairs where it is larger, ties counting one half. */
  u: number;
  z: number;
  /** One-sided p-value for "the first sample tends to be larger". */
  pValue: number;
  /** U / (n1·n2): the probability that a value of the first sample exceeds one of the second. */
  probabilityGreater: number;
  n1: number;
  n2: number;
}

/** One-sided Mann–Whitney U test that `x` tends to be larger than `y` (normal approximation). */
export function mannWhitneyGreater(x: readonly number[], y: readonly number[]): RankTestResult {
  const a = sortedFinite(x);
  const b = sortedFinite(y);
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { u: 0, z: 0, pValue: 1, probabilityGreater: 0.5, n1, n2 };
  let rankSumA = 0;
  let tieTerm = 0;
  let seen = 0;
  let i = 0;
  let j = 0;
  while (i < n1 || j < n2) {
    const value = Math.min(i < n1 ? (a[i] as number) : Infinity, j < n2 ? (b[j] as number) : Infinity);
    let inA = 0;
    let inB = 0;
    while (i < n1 && a[i] === value) {
      inA++;
      i++;
    }
    while (j < n2 && b[j] === value) {
      inB++;
      j++;
    }
    const tied = inA + inB;
    rankSumA += inA * (seen + (tied + 1) / 2);
    tieTerm += tied ** 3 - tied;
    seen += tied;
  }
  const n = n1 + n2;
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  const probabilityGreater = u / (n1 * n2);
  // Every value tied: no evidence either way.
  if (!(variance > 0)) return { u, z: 0, pValue: 1, probabilityGreater, n1, n2 };
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { u, z, pValue: normalSf(z), probabilityGreater, n1, n2 };
}

export interface ProportionTestResult {
  z: number;
  /** One-sided p-value for "the first proportion is larger". */
  pValue: number;
  pooled: number;
}

/**
 * One-sided pooled two-proportion z-test that x1/n1 > x2/n2. With `continuityCorrection`, Yates'
 * correction as in R's `prop.test(c(x1, x2), c(n1, n2), alternative = "greater")` (its default);
 * without it, as with `correct = FALSE`. Uncorrected, one error among 50 canary requests against
 * none among 450 baseline ones already reads as p = 0.001.
 */
export function twoProportionGreater(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  continuityCorrection = false,
): ProportionTestResult {
  if (n1 <= 0 || n2 <= 0) return { z: 0, pValue: 1, pooled: 0 };
  const pooled = (x1 + x2) / (n1 + n2);
  const inverseSizes = 1 / n1 + 1 / n2;
  const se = Math.sqrt(pooled * (1 - pooled) * inverseSizes);
  if (!(se > 0)) return { z: 0, pValue: 1, pooled };
  const delta = x1 / n1 - x2 / n2;
  const yates = continuityCorrection ? Math.min(0.5, Math.abs(delta) / inverseSizes) : 0;
  const z = (Math.sign(delta) * (Math.abs(delta) - yates * inverseSizes)) / se;
  return { z, pValue: normalSf(z), pooled };
}

/**
 * Lower bound of the Wilson score interval of k successes in n trials, for a given z. With
 * `continuityCorrection`, k counts half a success less, as in R's `prop.test(k, n, correct = TRUE)`:
 * without it, a single success in a dozen trials already bounds the rate above 1 %.
 */
export function wilsonLowerBound(k: number, n: number, z: number, continuityCorrection = false): number {
  if (n <= 0) return 0;
  const p = (continuityCorrection ? k - 0.5 : k) / n;
  if (p <= 0) return 0;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.max(0, (centre - spread) / (1 + z2 / n));
}

/** Quantile q (0..1) of a sample by linear interpolation (R's type 7); null when empty. */
export function quantile(values: readonly number[], q: number): number | null {
  const sorted = sortedFinite(values);
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const low = sorted[lo] as number;
  return low + ((sorted[hi] as number) - low) * (pos - lo);
}

function sortedFinite(values: readonly number[]): Float64Array {
  return Float64Array.from(values.filter(Number.isFinite)).sort();
}
