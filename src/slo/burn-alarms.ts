// Burn-rate alarms of the SLOs: each SLO adds two alarm rules to the alarm engine,
// `slo:<name>` (page) and `slo:<name>:ticket`, so they go through the usual alarm → notification →
// incident path. Their datapoint is how far the budget burns past the workbook's factor: the
// highest, over the rules of that severity, of min(burn over the long window, burn over the short
// window) / factor; the rule breaches above 1.
import type { AlarmConfig, SloConfig } from '../config/types.ts';
import type { MetricsEngine } from '../metrics/engine.ts';
import { burnRate, countsOf, needsSketch } from './budget.ts';
import { type BurnRule, burnRules } from './burn-windows.ts';

/** How often the burn-rate alarms are evaluated; the delay from a fast burn to the page is about this. */
export const SLO_ALARM_PERIOD_MS = 30_000;
export const SLO_PAGE_SEVERITY = 'P2';
export const SLO_TICKET_SEVERITY = 'P4';

const FAMILIES = { page: 'slo_page', ticket: 'slo_ticket' } as const;

export function sloAlarmRules(slos: SloConfig[]): AlarmConfig[] {
  return slos.flatMap((slo) =>
    (['page', 'ticket'] as const).map(
      (severity): AlarmConfig => ({
        name: severity === 'page' ? `slo:${slo.name}` : `slo:${slo.name}:ticket`,
        environment: slo.environment,
        metric: `${FAMILIES[severity]}:${slo.name}`,
        above: 1,
        period: SLO_ALARM_PERIOD_MS,
        evaluation_periods: 1,
        datapoints_to_alarm: 1,
        treat_missing_data: 'not_breaching',
        severity: severity === 'page' ? SLO_PAGE_SEVERITY : SLO_TICKET_SEVERITY,
        notify: slo.notify ?? [],
        ...(slo.runbook !== undefined ? { runbook: slo.runbook } : {}),
        description: describe(slo, severity),
      }),
    ),
  );
}

function describe(slo: SloConfig, severity: 'page' | 'ticket'): string {
  const rules = burnRules(slo.window).filter((r) => r.severity === severity);
  const parts = rules.map((r) => `${r.factor}x over ${minutes(r.long)} and ${minutes(r.short)}`);
  return `error budget of SLO ${slo.name} burning at ${parts.join(', or ')}`;
}

function minutes(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${Math.round(ms / 60_000)}m`;
}

/** The SLO and severity of a burn-rate alarm's metric, or undefined for any other metric. */
export function parseSloMetric(metric: string): { slo: string; severity: 'page' | 'ticket' } | undefined {
  const [family, slo] = metric.split(':', 2);
  if (slo === undefined) return undefined;
  if (family === FAMILIES.page) return { slo, severity: 'page' };
  if (family === FAMILIES.ticket) return { slo, severity: 'ticket' };
  return undefined;
}

/** The datapoint of a burn-rate alarm at `to`; null when the long windows saw no request. */
export async function burnDatapoint(
  source: Pick<MetricsEngine, 'environmentTally'>,
  slo: SloConfig,
  severity: 'page' | 'ticket',
  to: number,
): Promise<number | null> {
  const rules = burnRules(slo.window).filter((r) => r.severity === severity);
  let worst: number | null = null;
  for (const rule of rules) {
    const ratio = await ruleRatio(source, slo, rule, to);
    if (ratio !== null) worst = Math.max(worst ?? 0, ratio);
  }
  return worst;
}

async function ruleRatio(
  source: Pick<MetricsEngine, 'environmentTally'>,
  slo: SloConfig,
  rule: BurnRule,
  to: number,
): Promise<number | null> {
  const long = countsOf(
    slo,
    await source.environmentTally(slo.environment, to - rule.long, to, needsSketch(slo)),
  );
  if (long.total === 0) return null;
  const short = countsOf(
    slo,
    await source.environmentTally(slo.environment, to - rule.short, to, needsSketch(slo)),
  );
  return Math.min(burnRate(long, slo.objective), burnRate(short, slo.objective)) / rule.factor;
}
