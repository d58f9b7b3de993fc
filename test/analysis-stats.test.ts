// Reference values from scipy 1.17.1: special.erfc, stats.norm.cdf, stats.mannwhitneyu with
// method="asymptotic" and use_continuity=True (the same as R's wilcox.test(..., exact = FALSE,
// correct = TRUE)), binomtest(...).proportion_ci(method="wilson"), chi2_contingency with Yates'
// correction, and the pooled z formula (whose p equals R's prop.test(..., correct = FALSE)).
import { describe, expect, it } from 'vitest';
import {
  erfc,
  mannWhitneyGreater,
  normalCdf,
  normalSf,
  quantile,
  twoProportionGreater,
  wilsonLowerBound,
} from '../src/analysis/stats.ts';

const Z99 = 2.3263478740408408;

function expectRelative(actual: number, expected: number, tolerance: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.abs(expected) * tolerance);
}

describe('erfc and the normal distribution', () => {
  it.each([
    [0, 1],
    [0.1, 0.8875370839817152],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028516],
    [1.5, 0.03389485352468927],
    [2, 0.004677734981047266],
    [2.5, 0.00040695201744495886],
    [3, 2.2090496998585445e-5],
    [4, 1.541725790028002e-8],
    [5, 1.5374597944280347e-12],
    [6, 2.1519736712498913e-17],
    [10, 2.0884875837625446e-45],
    [-1, 1.8427007929497148],
  ])('erfc(%d) matches scipy to 1e-12 relative', (x, expected) => {
    expectRelative(erfc(x), expected, 1e-12);
  });

  it('is continuous where the series hands over to the continued fraction', () => {
    expectRelative(erfc(2.4999999), erfc(2.5), 1e-6);
  });

  it.each([
    [-5, 2.866515718791933e-7],
    [-3, 0.0013498980316300933],
    [-1.96, 0.024997895148220435],
    [-1, 0.15865525393145707],
    [0, 0.5],
    [1, 0.8413447460685429],
    [Z99, 0.99],
  ])('Φ(%d) matches scipy', (z, expected) => {
    expectRelative(normalCdf(z), expected, 1e-12);
    expectRelative(normalSf(-z), expected, 1e-12);
  });
});

describe('mannWhitneyGreater', () => {
  it('matches scipy on samples without ties across groups', () => {
    const x = [12, 15, 11, 18, 20, 14, 16, 19, 22, 17, 13, 21];
    const y = [10, 11, 9, 14, 12, 13, 8, 15, 11, 10, 12, 9, 16];
    const r = mannWhitneyGreater(x, y);
    expect(r.u).toBe(136);
    expectRelative(r.pValue, 0.0008562225904049349, 1e-9);
    expect(r.n1).toBe(12);
    expect(r.n2).toBe(13);
    expect(r.probabilityGreater).toBeCloseTo(136 / (12 * 13), 12);
  });

  it('matches scipy with many ties, in both directions', () => {
    const x = [1, 2, 2, 3, 3, 3, 4, 5, 5, 6];
    const y = [2, 3, 4, 4, 5, 6, 6, 7, 8, 8, 9];
    const less = mannWhitneyGreater(x, y);
    expect(less.u).toBe(23.5);
    expectRelative(less.pValue, 0.988498635310908, 1e-9);
    const greater = mannWhitneyGreater(y, x);
    expect(greater.u).toBe(86.5);
    expectRelative(greater.pValue, 0.013820442107149456, 1e-9);
  });

  it('does not depend on the order of the samples', () => {
    const x = [5, 1, 4, 2, 3, 9, 7];
    const y = [2, 6, 1, 8];
    const a = mannWhitneyGreater(x, y);
    const b = mannWhitneyGreater([...x].reverse(), [...y].sort());
    expect(b).toEqual(a);
  });

  it('finds no evidence when every value is tied or a sample is empty', () => {
    expect(mannWhitneyGreater([3, 3, 3], [3, 3]).pValue).toBe(1);
    expect(mannWhitneyGreater([], [1, 2]).pValue).toBe(1);
  });

  it('ignores values that are not finite', () => {
    const clean = mannWhitneyGreater([1, 2, 3], [0, 1]);
    expect(mannWhitneyGreater([1, Number.NaN, 2, 3], [0, Number.POSITIVE_INFINITY, 1])).toEqual(clean);
  });
});

describe('twoProportionGreater', () => {
  it.each([
    ['3% vs 1% of 500 each', 15, 500, 5, 500, 2.258769757263128, 0.011948855339755069],
    ['3% vs 0%, 200 vs 1800', 6, 200, 0, 1800, 7.35951679544161, 9.228856720532611e-14],
    ['1% vs 1%', 3, 300, 4, 400, 0, 0.5],
  ])('%s matches the pooled z-test', (_name, x1, n1, x2, n2, z, p) => {
    const r = twoProportionGreater(x1, n1, x2, n2);
    expect(r.z).toBeCloseTo(z, 10);
    expectRelative(r.pValue, p, 1e-9);
  });

  // scipy.stats.chi2_contingency(table, correction=True): z = √χ², one-sided p = Φ(−z).
  it.each([
    ['3% vs 1% of 500 each', 15, 500, 5, 500, 2.032892781536815, 0.021031678242562253],
    ['3% vs 0%, 200 vs 1800', 6, 200, 0, 1800, 6.678080055122945, 1.2104639653838905e-11],
    ['1 error in 50 vs none in 450', 1, 50, 0, 450, 1.3346686700058439, 0.0909924059747037],
    ['2 errors in 100 vs none in 900', 2, 100, 0, 900, 3.067198118394679, 0.0010803779614670954],
  ])('%s with continuity correction matches Yates', (_name, x1, n1, x2, n2, z, p) => {
    const r = twoProportionGreater(x1, n1, x2, n2, true);
    expect(r.z).toBeCloseTo(z, 10);
    expectRelative(r.pValue, p, 1e-9);
  });

  it('never lets the correction flip the direction', () => {
    const r = twoProportionGreater(11, 1000, 10, 1000, true);
    expect(r.z).toBe(0);
    expect(r.pValue).toBe(0.5);
    expect(twoProportionGreater(1, 1000, 10, 1000, true).z).toBeLessThan(0);
  });

  it('has no evidence without variance or without requests', () => {
    expect(twoProportionGreater(0, 100, 0, 100).pValue).toBe(1);
    expect(twoProportionGreater(100, 100, 100, 100).pValue).toBe(1);
    expect(twoProportionGreater(0, 0, 1, 10).pValue).toBe(1);
  });
});

describe('wilsonLowerBound', () => {
  it.each([
    [10, 10, 0.6488495002827432],
    [5, 10, 0.203710234855616],
    [10, 500, 0.009767993354443874],
    [20, 1000, 0.01199232397962586],
    [0, 50, 0],
    [50, 100, 0.38670784097761807],
  ])('%d of %d at one-sided 99 %% matches scipy', (k, n, expected) => {
    expect(wilsonLowerBound(k, n, Z99)).toBeCloseTo(expected, 12);
  });

  // R: prop.test(k, n, alternative = "greater", conf.level = 0.99, correct = TRUE)$conf.int[1],
  // whose continuity correction counts k − ½; values from that formula.
  it.each([
    [1, 10, 0.00394],
    [2, 10, 0.02821],
    [10, 10, 0.5879],
    [3, 50, 0.01289],
    [20, 1000, 0.01162],
  ])('continuity-corrected, %d of %d', (k, n, expected) => {
    expect(wilsonLowerBound(k, n, Z99, true)).toBeCloseTo(expected, 4);
  });

  it('is 0 without trials or successes', () => {
    expect(wilsonLowerBound(0, 0, Z99)).toBe(0);
    expect(wilsonLowerBound(0, 10, Z99, true)).toBe(0);
  });
});

describe('quantile', () => {
  it('interpolates like R type 7', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 1, 5], 0.5)).toBe(5);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99)).toBeCloseTo(9.91, 12);
    expect(quantile([], 0.5)).toBeNull();
  });
});
