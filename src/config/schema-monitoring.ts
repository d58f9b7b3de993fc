// Watching production: `alarms:`, `synthetics:` and `logs:`.
import {
  DEFAULT_ALARM_PERIOD,
  DEFAULT_EVALUATION_PERIODS,
  DEFAULT_LOG_RETENTION_AGE,
  DEFAULT_LOG_RETENTION_SIZE,
  DEFAULT_SEVERITY,
  DEFAULT_SYNTHETIC_TIMEOUT,
  DEFAULT_TREAT_MISSING_DATA,
} from './defaults.ts';
import {
  bool,
  dnsName,
  duration,
  enumOf,
  identifier,
  intIn,
  keyIssue,
  list,
  mapping,
  size,
  text,
  textMatching,
  threshold,
  whenFieldsValid,
} from './fields.ts';
import { httpCheckSchema } from './schema-checks.ts';
import type { AlarmConfig } from './types.ts';
import { formatDuration, formatSize } from './units.ts';

export const SEVERITIES = ['P1', 'P2', 'P3', 'P4'] as const;

const alarmSchema = mapping({
  name: identifier('an alarm name'),
  environment: dnsName('an environment name'),
  metric: textMatching(
    /^[a-z][a-z0-9_]*(:[A-Za-z0-9][A-Za-z0-9_.-]*)?$/,
    'expected a metric name, like http_5xx_rate or log_matches:payment-errors',
  ).meta({
    description:
      'http_requests, http_5xx_rate, http_4xx_rate, http_latency_p50|p95|p99, instance_restarts, instance_cpu, instance_memory, probe_failures, log_matches:<pattern>.',
  }),
  above: threshold()
    .optional()
    .meta({ description: 'Breach when the metric is above this: a number, 1% or 500ms.' }),
  below: threshold().optional().meta({ description: 'Breach when the metric is below this.' }),
  period: duration().prefault(formatDuration(DEFAULT_ALARM_PERIOD)),
  evaluation_periods: intIn(1, 1000).default(DEFAULT_EVALUATION_PERIODS),
  datapoints_to_alarm: intIn(1, 1000).optional().meta({
    description: 'Breaching periods among the last evaluation_periods that fire the alarm (default: all).',
  }),
  treat_missing_data: enumOf(['missing', 'breaching', 'not_breaching', 'ignore']).default(
    DEFAULT_TREAT_MISSING_DATA,
  ),
  severity: enumOf(SEVERITIES).default(DEFAULT_SEVERITY),
  notify: list(identifier('a notify group name'))
    .default([])
    .meta({ description: 'Groups from `notify:` told when the alarm fires and resolves.' }),
  runbook: text('a runbook path or URL').optional(),
  description: text('a description').optional(),
})
  .superRefine((alarm, ctx) => {
    if (alarm.above === undefined && alarm.below === undefined) {
      ctx.addIssue({ code: 'custom', message: 'set `above` or `below` (the threshold)' });
    } else if (alarm.above !== undefined && alarm.below !== undefined) {
      ctx.addIssue(keyIssue(['below'], 'set only one of `above` or `below`; define two alarms for a band'));
    }
    if (alarm.period < 1000 || alarm.period > 3_600_000 || alarm.period % 1000 !== 0) {
      ctx.addIssue({ code: 'custom', path: ['period'], message: 'expected whole seconds from 1s to 1h' });
    }
    if (alarm.datapoints_to_alarm !== undefined && alarm.datapoints_to_alarm > alarm.evaluation_periods) {
      ctx.addIssue({
        code: 'custom',
        path: ['datapoints_to_alarm'],
        message: `expected at most evaluation_periods (${alarm.evaluation_periods})`,
      });
    }
  }, whenFieldsValid)
  .transform(
    (alarm): AlarmConfig => ({
      ...alarm,
      datapoints_to_alarm: alarm.datapoints_to_alarm ?? alarm.evaluation_periods,
    }),
  );

export const alarmsSchema = list(alarmSchema).meta({
  description: 'Rules over metrics, with CloudWatch semantics.',
});

const syntheticSchema = mapping({
  name: identifier('a synthetic name'),
  environment: dnsName('an environment name'),
  every: duration().meta({ description: 'How often Gantry runs it.' }),
  http: httpCheckSchema.optional(),
  command: text('a shell command').optional(),
  timeout: duration().prefault(formatDuration(DEFAULT_SYNTHETIC_TIMEOUT)),
}).superRefine((synthetic, ctx) => {
  if (synthetic.http === undefined && synthetic.command === undefined) {
    ctx.addIssue({ code: 'custom', message: 'set `http` (one request) or `command`' });
  } else if (synthetic.http !== undefined && synthetic.command !== undefined) {
    ctx.addIssue(keyIssue(['command'], 'set only one of `http` or `command`'));
  }
}, whenFieldsValid);

export const syntheticsSchema = list(syntheticSchema).meta({
  description: 'Scheduled checks run by Gantry itself; their results are metrics.',
});

function isRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

const logPatternSchema = mapping({
  name: identifier('a pattern name'),
  environment: dnsName('an environment name').optional(),
  match: text('a text to match'),
  regex: bool().default(false).meta({ description: 'Treat `match` as a regular expression.' }),
}).superRefine((pattern, ctx) => {
  if (pattern.regex && !isRegex(pattern.match)) {
    ctx.addIssue({ code: 'custom', path: ['match'], message: 'expected a valid regular expression' });
  }
}, whenFieldsValid);

export const logsSchema = mapping({
  retention: mapping({
    age: duration().prefault(formatDuration(DEFAULT_LOG_RETENTION_AGE)),
    size: size().prefault(formatSize(DEFAULT_LOG_RETENTION_SIZE)),
  }).prefault({}),
  patterns: list(logPatternSchema)
    .default([])
    .meta({ description: 'Counted as metric log_matches:<name>, usable in alarms.' }),
}).meta({ description: 'Log retention and patterns counted as metrics.' });
