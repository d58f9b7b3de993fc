// The alarm state machine as a table: CloudWatch's documented examples ("Configuring how CloudWatch
// alarms treat missing data", both tables), then datapoint sequences run period by period on a
// clock, with the exact transitions each setting makes.
import { describe, expect, it } from 'vitest';
import { type AlarmRule, evaluateAlarm, evaluationRange } from '../src/alarms/evaluate.ts';
import type { AlarmStateValue } from '../src/alarms/types.ts';

type Treatment = AlarmRule['treat_missing_data'];
const TREATMENTS: Treatment[] = ['missing', 'ignore', 'breaching', 'not_breaching'];

/** "0 - X" → [1, null, 9]: 0 within the threshold (5), X breaching it, - missing. */
function points(text: string): Array<number | null> {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((c) => (c === 'X' ? 9 : c === '0' ? 1 : null));
}

function rule(n: number, m: number, treat: Treatment, extra: Partial<AlarmRule> = {}): AlarmRule {
  return {
    metric: 'http_5xx_rate',
    above: 5,
    period: 60_000,
    evaluation_periods: n,
    datapoints_to_alarm: m,
    treat_missing_data: treat,
    ...extra,
  };
}

const RETAIN = 'retain';
type Expected = AlarmStateValue | typeof RETAIN;

// Columns: MISSING, IGNORE, BREACHING, NOT BREACHING. The evaluation range is 5 for N = 3.
const CLOUDWATCH_3_OF_3: Array<[string, Expected[]]> = [
  ['0 - X - X', ['OK', 'OK', 'OK', 'OK']],
  ['- - - - 0', ['OK', 'OK', 'OK', 'OK']],
  ['- - - - -', ['INSUFFICIENT_DATA', RETAIN, 'ALARM', 'OK']],
  ['0 X X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
  ['- - X - -', ['ALARM', RETAIN, 'ALARM', 'OK']],
  // Rows of the earlier edition of the page.
  ['0 - - - -', ['OK', 'OK', 'OK', 'OK']],
  ['X - - - -', ['ALARM', RETAIN, 'ALARM', 'OK']],
  // "Avoiding premature transitions": too recent a breach decides nothing yet.
  ['- - - - X', [RETAIN, RETAIN, 'ALARM', 'OK']],
  ['- - - X -', [RETAIN, RETAIN, 'ALARM', 'OK']],
];

const CLOUDWATCH_2_OF_3: Array<[string, Expected[]]> = [
  ['0 - X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
  ['0 0 X 0 X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
  ['0 - X - -', ['OK', 'OK', 'ALARM', 'OK']],
  ['- - - - 0', ['OK', 'OK', 'ALARM', 'OK']],
  ['- - - X -', ['ALARM', RETAIN, 'ALARM', 'OK']],
  ['- - - - X', [RETAIN, RETAIN, 'ALARM', 'OK']],
];

function checkTable(n: number, m: number, table: Array<[string, Expected[]]>) {
  for (const [data, expected] of table) {
    TREATMENTS.forEach((treat, i) => {
      const want = expected[i] as Expected;
      for (const current of ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const) {
        it(`${data} · ${treat} · from ${current} → ${want === RETAIN ? current : want}`, () => {
          const result = evaluateAlarm(rule(n, m, treat), points(data), current);
          expect(result.state).toBe(want === RETAIN ? current : want);
        });
      }
    });
  }
}

describe("CloudWatch's table: 3 of 3, evaluation range 5", () => {
  it('reads two periods beyond evaluation_periods', () => expect(evaluationRange(3)).toBe(5));
  checkTable(3, 3, CLOUDWATCH_3_OF_3);
});

describe("CloudWatch's table: 2 of 3 (M of N)", () => {
  checkTable(3, 2, CLOUDWATCH_2_OF_3);
});

describe('reasons carry the numbers', () => {
  it('an alarm names the value, the threshold and M of N as percentages', () => {
    const r = evaluateAlarm(rule(3, 2, 'missing', { above: 0.01 }), [0.001, 0.001, 0.001, 0.05, 0.042], 'OK');
    expect(r).toEqual({
      state: 'ALARM',
      reason: 'http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s',
      breaching: 2,
    });
  });

  it('a recovery says how many breached and how many were needed', () => {
    const r = evaluateAlarm(
      rule(3, 2, 'missing', { above: 0.01 }),
      [0.05, 0.05, 0.05, 0.002, 0.003],
      'ALARM',
    );
    expect(r.state).toBe('OK');
    expect(r.reason).toBe(
      'http_5xx_rate 0.3% ≤ 1%: 1 of the last 3 periods of 60 s breaching, 2 needed to alarm',
    );
  });

  it('latencies in ms, below-thresholds with < and missing datapoints noted', () => {
    const p99 = evaluateAlarm(
      rule(2, 2, 'breaching', { metric: 'http_latency_p99', above: 500, period: 10_000 }),
      [null, null, null, 812.5],
      'OK',
    );
    expect(p99.reason).toBe(
      'http_latency_p99 813 ms > 500 ms in 2 of the last 2 periods of 10 s (1 missing, treated as breaching)',
    );
    const traffic = evaluateAlarm(
      rule(1, 1, 'missing', { metric: 'http_requests', above: undefined, below: 1, period: 1000 }),
      [5, 5, 0],
      'OK',
    );
    expect(traffic).toMatchObject({
      state: 'ALARM',
      reason: 'http_requests 0 req/s < 1 req/s in the last period of 1 s',
    });
  });

  it('no data at all', () => {
    const r = evaluateAlarm(rule(3, 3, 'missing'), [null, null, null, null, null], 'OK');
    expect(r).toEqual({
      state: 'INSUFFICIENT_DATA',
      reason: 'no http_5xx_rate data in the last 5 periods of 60 s',
      breaching: 0,
    });
  });
});

interface Transition {
  at: number; // seconds after T0
  from: AlarmStateValue;
  to: AlarmStateValue;
}

const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);

/**
 * Runs a datapoint sequence one period at a time on a clock (period 10 s from T0): at each
 * period's end the range of datapoints up to it is evaluated, as the engine does.
 */
function runSequence(r: AlarmRule, sequence: string, start: AlarmStateValue = 'INSUFFICIENT_DATA') {
  const values = points(sequence);
  const range = evaluationRange(r.evaluation_periods);
  let state = start;
  const out: Transition[] = [];
  let now = T0;
  for (let k = 0; k < values.length; k++) {
    now += r.period;
    const window = Array.from({ length: range }, (_, i) => values[k - range + 1 + i] ?? null);
    const next = evaluateAlarm(r, window, state).state;
    if (next !== state) out.push({ at: (now - T0) / 1000, from: state, to: next });
    state = next;
  }
  return out;
}

const P = 10_000;

describe('sequences, period by period', () => {
  const cases: Array<{
    name: string;
    n: number;
    m: number;
    treat: Treatment;
    seq: string;
    want: Transition[];
  }> = [
    {
      name: '1 of 1 fires on the first breaching period and clears on the first good one',
      n: 1,
      m: 1,
      treat: 'missing',
      seq: '0 0 X X 0',
      want: [
        { at: 10, from: 'INSUFFICIENT_DATA', to: 'OK' },
        { at: 30, from: 'OK', to: 'ALARM' },
        { at: 50, from: 'ALARM', to: 'OK' },
      ],
    },
    {
      name: '2 of 3 needs two breaches among the last three, not consecutive',
      n: 3,
      m: 2,
      treat: 'missing',
      seq: '0 0 0 X 0 X 0 0 0',
      want: [
        { at: 10, from: 'INSUFFICIENT_DATA', to: 'OK' },
        { at: 60, from: 'OK', to: 'ALARM' },
        { at: 70, from: 'ALARM', to: 'OK' },
      ],
    },
    {
      name: '3 of 3 ignores a single spike',
      n: 3,
      m: 3,
      treat: 'missing',
      seq: '0 0 0 X 0 0 X X X 0',
      want: [
        { at: 10, from: 'INSUFFICIENT_DATA', to: 'OK' },
        { at: 90, from: 'OK', to: 'ALARM' },
        { at: 100, from: 'ALARM', to: 'OK' },
      ],
    },
    {
      name: 'missing: data stops, the older real datapoints decide until they leave the range',
      n: 1,
      m: 1,
      treat: 'missing',
      seq: '0 X - - - - 0',
      want: [
        { at: 10, from: 'INSUFFICIENT_DATA', to: 'OK' },
        { at: 20, from: 'OK', to: 'ALARM' },
        { at: 50, from: 'ALARM', to: 'INSUFFICIENT_DATA' },
        { at: 70, from: 'INSUFFICIENT_DATA', to: 'OK' },
      ],
    },
    {
      name: 'ignore: the state stays through a gap of any length',
      n: 1,
      m: 1,
      treat: 'ignore',
      seq: '0 X - - - - - - 0',
      want: [
        { at: 10, from: 'INSUFFICIENT_DATA', to: 'OK' },
        { at: 20, from: 'OK', to: 'ALARM' },
        { at: 90, from: 'ALARM', to: 'OK' },
      ],
    },
    {
      name: 'breaching: a gap fires once the good datapoints have left the range',
      n: 2,
      m: 2,
      treat: 'breaching',
      seq: '0 0 - - - - 0 0',
      want: [
        { at: 10, from: 'INSUFFICIENT_DATA', to: 'OK' },
        { at: 60, from: 'OK', to: 'ALARM' },
        { at: 70, from: 'ALARM', to: 'OK' },
      ],
    },
    {
      name: 'not_breaching: a gap after an alarm resolves it',
      n: 2,
      m: 1,
      treat: 'not_breaching',
      seq: 'X 0 - - - - -',
      want: [
        { at: 10, from: 'INSUFFICIENT_DATA', to: 'ALARM' },
        { at: 50, from: 'ALARM', to: 'OK' },
      ],
    },
    {
      name: 'missing, 3 of 3: a lone breach after silence waits, then fires when it is 3 periods old',
      n: 3,
      m: 3,
      treat: 'missing',
      seq: '- - X - -',
      want: [{ at: 50, from: 'INSUFFICIENT_DATA', to: 'ALARM' }],
    },
    {
      name: 'missing, 3 of 3: a good datapoint after the lone breach settles it OK',
      n: 3,
      m: 3,
      treat: 'missing',
      seq: '- - X 0',
      want: [{ at: 40, from: 'INSUFFICIENT_DATA', to: 'OK' }],
    },
  ];

  for (const c of cases) {
    it(`${c.name} (${c.m} of ${c.n}, ${c.treat}: ${c.seq})`, () => {
      expect(runSequence(rule(c.n, c.m, c.treat, { period: P }), c.seq)).toEqual(c.want);
    });
  }

  it('every treatment gives the same transitions once the range holds no missing datapoint', () => {
    const seq = '0 0 0 0 0 X X 0 X 0 0';
    const results = TREATMENTS.map((t) =>
      runSequence(rule(3, 2, t, { period: P }), seq, 'OK').filter((x) => x.at >= 50),
    );
    for (const r of results) expect(r).toEqual(results[0]);
    expect(results[0]).toEqual([
      { at: 70, from: 'OK', to: 'ALARM' },
      { at: 100, from: 'ALARM', to: 'OK' },
    ]);
  });
});
