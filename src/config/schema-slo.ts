// Service level objectives: `slos:`. Availability counts every response that is not
// a 5xx as good; latency (an SLO with `threshold`) counts responses faster than the threshold.
import { DEFAULT_SLO_WINDOW, MAX_SLO_WINDOW } from './defaults.ts';
import { dnsName, duration, identifier, list, mapping, rate, text, whenFieldsValid } from './fields.ts';
import type { SloConfig } from './types.ts';
import { formatDuration } from './units.ts';

/** The shortest window: its short burn-rate window (window/8640) must still be a minute or more. */
export const MIN_SLO_WINDOW = 6 * 24 * 3600 * 1000;

const sloSchema = mapping({
  name: identifier('an SLO name'),
  environment: dnsName('an environment name'),
  objective: rate().meta({
    description: 'Share of good requests aimed at over the window, like 99.95% (below 100%).',
  }),
  threshold: duration()
    .optional()
    .meta({ description: 'Makes it a latency SLO: a request is good when it is answered faster than this.' }),
  window: duration()
    .prefault(formatDuration(DEFAULT_SLO_WINDOW))
    .meta({ description: 'Rolling window the objective and the error budget cover (6d to 30d).' }),
  notify: list(identifier('a notify group name')).default([]).meta({
    description: 'Groups from `notify:` told when a burn-rate alarm (slo:<name>) fires and resolves.',
  }),
  runbook: text('a runbook path or URL').optional(),
  description: text('a description').optional(),
})
  .superRefine((slo, ctx) => {
    if (!(slo.objective > 0 && slo.objective < 1)) {
      ctx.addIssue({
        code: 'custom',
        path: ['objective'],
        message: 'expected an objective above 0% and below 100% (100% leaves no error budget)',
      });
    }
    if (slo.window < MIN_SLO_WINDOW || slo.window > MAX_SLO_WINDOW) {
      ctx.addIssue({
        code: 'custom',
        path: ['window'],
        message: `expected a window from ${formatDuration(MIN_SLO_WINDOW)} to ${formatDuration(MAX_SLO_WINDOW)} (minute rollups are kept ${formatDuration(MAX_SLO_WINDOW)})`,
      });
    }
  }, whenFieldsValid)
  .transform(
    (slo): SloConfig => ({
      name: slo.name,
      environment: slo.environment,
      objective: slo.objective,
      window: slo.window,
      notify: slo.notify,
      ...(slo.runbook !== undefined ? { runbook: slo.runbook } : {}),
      ...(slo.threshold !== undefined ? { threshold: slo.threshold } : {}),
      ...(slo.description !== undefined ? { description: slo.description } : {}),
    }),
  );

export const slosSchema = list(sloSchema).meta({
  description: 'Service level objectives with error budgets and burn-rate alarms (docs/slo.md).',
});
