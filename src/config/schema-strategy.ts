// `strategy:` of an environment: `rolling`, `{ rolling: { max_surge } }` or `{ canary: { steps, analysis } }`.
import { z } from 'zod';
import {
  DEFAULT_ANALYSIS_INTERVAL,
  DEFAULT_MAX_SURGE,
  DEFAULT_MIN_REQUESTS,
  DEFAULT_ON_INCONCLUSIVE,
} from './defaults.ts';
import {
  duration,
  enumOf,
  expecting,
  identifier,
  intIn,
  keyIssue,
  list,
  mapping,
  rate,
  text,
  whenFieldsValid,
} from './fields.ts';
import type { StrategyConfig } from './types.ts';
import { formatDuration } from './units.ts';

const stepSchema = mapping({
  weight: intIn(1, 100, 'expected a number from 1 to 100').meta({
    description: 'Share of traffic (percent) the new version gets during this step.',
  }),
  pause: duration({ zero: true })
    .optional()
    .meta({ description: 'How long the step lasts while the analysis watches it.' }),
  checks: list(identifier('a check name'))
    .default([])
    .meta({ description: 'Checks (from `checks:`) that must pass before the step completes.' }),
});

const analysisSchema = mapping({
  interval: duration().prefault(formatDuration(DEFAULT_ANALYSIS_INTERVAL)),
  min_requests: intIn(1)
    .default(DEFAULT_MIN_REQUESTS)
    .meta({ description: 'Fewer canary requests than this in a window make it inconclusive, never a pass.' }),
  max_error_rate: rate().optional().meta({ description: "Highest 5xx share of the canary's requests." }),
  max_4xx_rate: rate().optional().meta({
    description: "Highest 4xx share of the canary's requests (404 from lost data, 401 from lost keys).",
  }),
  max_p99_latency: duration().optional(),
  compare: enumOf(['baseline', 'none']).optional().meta({
    description: 'baseline: also fail when clearly worse than the stable version (statistical test).',
  }),
  on_inconclusive: enumOf(['fail', 'pass']).default(DEFAULT_ON_INCONCLUSIVE),
  step_deadline: duration().optional(),
});

const stickySchema = mapping({
  cookie: text('a cookie name').optional(),
  header: text('a header name').optional(),
}).superRefine((sticky, ctx) => {
  if (sticky.cookie === undefined && sticky.header === undefined) {
    ctx.addIssue({ code: 'custom', message: 'set `cookie`, `header` or both' });
  }
}, whenFieldsValid);

const canarySchema = mapping({
  steps: list(stepSchema).min(1, { error: 'expected at least one step' }),
  analysis: analysisSchema.prefault({}),
  sticky: stickySchema.optional(),
}).superRefine((canary, ctx) => {
  canary.steps.forEach((step, i) => {
    const previous = canary.steps[i - 1];
    if (previous && step.weight <= previous.weight) {
      ctx.addIssue({
        code: 'custom',
        path: ['steps', i, 'weight'],
        message: `expected a weight greater than the previous step's (${previous.weight}): weights only go up`,
      });
    }
  });
}, whenFieldsValid);

const rollingSchema = mapping({
  max_surge: intIn(1, 1000)
    .default(DEFAULT_MAX_SURGE)
    .meta({ description: 'How many new instances start at a time.' }),
});

const strategyMapping = mapping({
  rolling: rollingSchema.optional(),
  canary: canarySchema.optional(),
}).superRefine((strategy, ctx) => {
  if (strategy.rolling === undefined && strategy.canary === undefined) {
    ctx.addIssue({ code: 'custom', message: 'set `rolling` or `canary`' });
  } else if (strategy.rolling !== undefined && strategy.canary !== undefined) {
    ctx.addIssue(keyIssue(['canary'], 'set only one of `rolling` or `canary`'));
  }
}, whenFieldsValid);

const STRATEGY_MESSAGE =
  'expected `rolling`, `{ rolling: { max_surge } }` or `{ canary: { steps, analysis } }`';

export const strategySchema = z
  .union([z.literal('rolling', { error: expecting(STRATEGY_MESSAGE) }), strategyMapping], {
    error: expecting(STRATEGY_MESSAGE),
  })
  .transform((strategy): StrategyConfig => {
    if (strategy === 'rolling') return { type: 'rolling', max_surge: DEFAULT_MAX_SURGE };
    if (strategy.canary) return { type: 'canary', canary: strategy.canary };
    return { type: 'rolling', max_surge: strategy.rolling?.max_surge ?? DEFAULT_MAX_SURGE };
  })
  .meta({
    description:
      'rolling: replace instances a few at a time, gated on readiness. canary: move a share of real traffic step by step while comparing with the stable version.',
  });
