// Rules that relate one part of gantry.yaml to another: names that must exist (environments,
// checks, notify groups, log patterns), requirement cycles, unique names and listeners. They read
// the raw YAML value, not the schema's output, so they are reported even while other parts of
// the file are still broken, and their paths are the ones the user wrote.
import { doAddressesOverlap, type HostPort, parseHostPort } from './address.ts';
import { formatPath } from './issues.ts';
import { suggest } from './suggest.ts';
import type { PathIssue } from './zod-issues.ts';

type Raw = Record<string, unknown>;

function isMapping(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function entriesOf(value: unknown): [string, unknown][] {
  return isMapping(value) ? Object.entries(value) : [];
}

function itemsOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function field(value: unknown, key: string): unknown {
  return isMapping(value) ? value[key] : undefined;
}

/** `unknown environment 'prod' (did you mean 'production'?)` or, without a close match, the list. */
function describeUnknown(kind: string, name: string, known: string[], where: string): string {
  const hint = suggest(name, known);
  if (hint) return `unknown ${kind} '${name}'${hint}`;
  return known.length > 0
    ? `unknown ${kind} '${name}': define it under \`${where}\` (known: ${known.join(', ')})`
    : `unknown ${kind} '${name}': define it under \`${where}\``;
}

function checkName(
  issues: PathIssue[],
  path: PropertyKey[],
  value: unknown,
  kind: string,
  known: string[],
  where: string,
) {
  if (typeof value === 'string' && !known.includes(value)) {
    issues.push({ path, message: describeUnknown(kind, value, known, where), target: 'value' });
  }
}

function checkRequirements(raw: Raw, envNames: string[], issues: PathIssue[]): void {
  const passed = new Map<string, string>();
  for (const [name, env] of entriesOf(raw.environments)) {
    const target = field(field(env, 'requires'), 'passed');
    const path = ['environments', name, 'requires', 'passed'];
    if (typeof target !== 'string') continue;
    if (target === name)
      issues.push({ path, message: 'an environment cannot require itself', target: 'value' });
    else if (!envNames.includes(target))
      checkName(issues, path, target, 'environment', envNames, 'environments');
    else passed.set(name, target);
  }
  const reported = new Set<string>();
  for (const start of envNames) {
    if (reported.has(start)) continue;
    const chain = [start];
    let next = passed.get(start);
    while (next !== undefined && next !== start && !chain.includes(next)) {
      chain.push(next);
      next = passed.get(next);
    }
    if (next !== start) continue;
    for (const env of chain) reported.add(env);
    issues.push({
      path: ['environments', start, 'requires', 'passed'],
      message: `requirements form a cycle: ${[...chain, start].join(' → ')}`,
      target: 'value',
    });
  }
}

interface Bound {
  path: PropertyKey[];
  address: HostPort;
  redirect: boolean;
  /** The environment's `listen` text when it names hosts (it may share that listener). */
  sharedListen: string | undefined;
}

/**
 * Redirect listeners against every other address. Two `listen` addresses are checked by
 * listener-claims.ts (environments naming hosts share one); environments sharing a listener share
 * its redirect listener too.
 */
function checkListeners(raw: Raw, issues: PathIssue[]): void {
  const seen: Bound[] = [];
  for (const [name, env] of entriesOf(raw.environments)) {
    const listen = field(env, 'listen');
    const hosts = field(env, 'hosts');
    const sharedListen =
      Array.isArray(hosts) && hosts.length > 0 && typeof listen === 'string' ? listen : undefined;
    const candidates: Array<[PropertyKey[], unknown, boolean]> = [
      [['environments', name, 'listen'], listen, false],
      [['environments', name, 'tls', 'redirect_http'], field(field(env, 'tls'), 'redirect_http'), true],
    ];
    for (const [path, value, redirect] of candidates) {
      const address = typeof value === 'string' ? parseHostPort(value) : undefined;
      if (!address) continue;
      const bound: Bound = { path, address, redirect, sharedListen };
      const clash = seen.find(
        (other) => doAddressesOverlap(other.address, address) && !mayShare(other, bound),
      );
      if (clash) {
        issues.push({ path, message: `address already used by ${formatPath(clash.path)}`, target: 'value' });
      }
      seen.push(bound);
    }
  }
}

function mayShare(a: Bound, b: Bound): boolean {
  if (!a.redirect && !b.redirect) return true;
  return (
    a.redirect &&
    b.redirect &&
    a.sharedListen !== undefined &&
    a.sharedListen === b.sharedListen &&
    a.address.host === b.address.host &&
    a.address.port === b.address.port
  );
}

function checkUniqueNames(
  list: unknown,
  section: PropertyKey[],
  kind: string,
  issues: PathIssue[],
): string[] {
  const names: string[] = [];
  itemsOf(list).forEach((item, i) => {
    const name = field(item, 'name');
    if (typeof name !== 'string') return;
    const first = names.indexOf(name);
    if (first >= 0) {
      issues.push({
        path: [...section, i, 'name'],
        message: `duplicate ${kind} name '${name}' (first at ${formatPath([...section, first])})`,
        target: 'value',
      });
    }
    names.push(name);
  });
  return names;
}

/** Metric names that need no argument. */
export const BASE_METRICS = [
  'http_requests',
  'http_5xx_rate',
  'http_4xx_rate',
  'http_latency_p50',
  'http_latency_p95',
  'http_latency_p99',
  'instance_restarts',
  'instance_cpu',
  'instance_memory',
  'probe_failures',
] as const;

/** Metric families whose argument names a synthetic (`synthetic_failures:api-reachable`). */
export const SYNTHETIC_METRICS = ['synthetic_failures', 'synthetic_latency'] as const;

function describeMetricProblem(metric: string, patterns: string[], synthetics: string[]): string | undefined {
  const [family = '', argument] = metric.split(':', 2);
  if (argument === undefined) {
    if ((BASE_METRICS as readonly string[]).includes(metric)) return undefined;
    return `unknown metric '${metric}'${suggest(metric, [...BASE_METRICS, 'log_matches:<pattern>'])}`;
  }
  if (family === 'log_matches') {
    return patterns.includes(argument)
      ? undefined
      : describeUnknown('log pattern', argument, patterns, 'logs.patterns');
  }
  if ((SYNTHETIC_METRICS as readonly string[]).includes(family)) {
    return synthetics.includes(argument)
      ? undefined
      : describeUnknown('synthetic', argument, synthetics, 'synthetics');
  }
  return `unknown metric family '${family}'${suggest(family, ['log_matches', ...SYNTHETIC_METRICS])}`;
}

function checkAlarms(
  raw: Raw,
  envNames: string[],
  patterns: string[],
  synthetics: string[],
  issues: PathIssue[],
) {
  const groups = Object.keys(isMapping(raw.notify) ? raw.notify : {});
  itemsOf(raw.alarms).forEach((alarm, i) => {
    checkName(
      issues,
      ['alarms', i, 'environment'],
      field(alarm, 'environment'),
      'environment',
      envNames,
      'environments',
    );
    const metric = field(alarm, 'metric');
    const problem =
      typeof metric === 'string' ? describeMetricProblem(metric, patterns, synthetics) : undefined;
    if (problem) issues.push({ path: ['alarms', i, 'metric'], message: problem, target: 'value' });
    itemsOf(field(alarm, 'notify')).forEach((group, j) => {
      checkName(issues, ['alarms', i, 'notify', j], group, 'notify group', groups, 'notify');
    });
  });
}

function checkSteps(raw: Raw, issues: PathIssue[]): void {
  const checks = Object.keys(isMapping(raw.checks) ? raw.checks : {});
  for (const [name, env] of entriesOf(raw.environments)) {
    const steps = field(field(field(env, 'strategy'), 'canary'), 'steps');
    itemsOf(steps).forEach((step, i) => {
      itemsOf(field(step, 'checks')).forEach((check, j) => {
        const path = ['environments', name, 'strategy', 'canary', 'steps', i, 'checks', j];
        checkName(issues, path, check, 'check', checks, 'checks');
      });
    });
  }
}

function checkEmail(raw: Raw, issues: PathIssue[]): void {
  if (raw.smtp !== undefined) return;
  const check = (channels: unknown, path: PropertyKey[]) =>
    itemsOf(channels).forEach((channel, i) => {
      if (field(channel, 'type') === 'email') {
        issues.push({
          path: [...path, i, 'type'],
          message: 'an email channel needs an `smtp:` section (host, port, from) to send through',
          target: 'value',
        });
      }
    });
  for (const [group, channels] of entriesOf(raw.notify)) check(channels, ['notify', group]);
  // On-call people and escalation steps page through the same channels (docs/oncall.md).
  const oncall = field(raw, 'oncall');
  itemsOf(field(oncall, 'schedules')).forEach((schedule, i) => {
    itemsOf(field(schedule, 'people')).forEach((person, j) => {
      check(field(person, 'notify'), ['oncall', 'schedules', i, 'people', j, 'notify']);
    });
  });
  itemsOf(field(oncall, 'escalation')).forEach((step, i) => {
    if (Array.isArray(field(step, 'notify')))
      check(field(step, 'notify'), ['oncall', 'escalation', i, 'notify']);
  });
}

/** Every cross-reference problem of a raw (parsed, not yet validated) gantry.yaml value. */
export function findReferenceIssues(raw: unknown): PathIssue[] {
  if (!isMapping(raw)) return [];
  const issues: PathIssue[] = [];
  const envNames = Object.keys(isMapping(raw.environments) ? raw.environments : {});
  checkRequirements(raw, envNames, issues);
  checkListeners(raw, issues);
  checkUniqueNames(raw.alarms, ['alarms'], 'alarm', issues);
  const synthetics = checkUniqueNames(raw.synthetics, ['synthetics'], 'synthetic', issues);
  const patterns = checkUniqueNames(field(raw.logs, 'patterns'), ['logs', 'patterns'], 'log pattern', issues);
  checkAlarms(raw, envNames, patterns, synthetics, issues);
  checkUniqueNames(raw.slos, ['slos'], 'SLO', issues);
  const sloEnvironments = itemsOf(raw.slos).map((slo) => field(slo, 'environment'));
  for (const [name, env] of entriesOf(raw.environments)) {
    if (field(field(env, 'requires'), 'error_budget') === undefined || sloEnvironments.includes(name))
      continue;
    issues.push({
      path: ['environments', name, 'requires', 'error_budget'],
      message: `the error-budget gate needs an SLO of ${name}: add one under slos: (see docs/slo.md)`,
      target: 'key',
    });
  }
  const notifyGroups = Object.keys(isMapping(raw.notify) ? raw.notify : {});
  itemsOf(field(raw.incidents, 'notify')).forEach((group, j) => {
    checkName(issues, ['incidents', 'notify', j], group, 'notify group', notifyGroups, 'notify');
  });
  itemsOf(field(raw.backups, 'notify')).forEach((group, j) => {
    checkName(issues, ['backups', 'notify', j], group, 'notify group', notifyGroups, 'notify');
  });
  itemsOf(raw.slos).forEach((slo, i) => {
    itemsOf(field(slo, 'notify')).forEach((group, j) => {
      checkName(issues, ['slos', i, 'notify', j], group, 'notify group', notifyGroups, 'notify');
    });
    checkName(
      issues,
      ['slos', i, 'environment'],
      field(slo, 'environment'),
      'environment',
      envNames,
      'environments',
    );
  });
  itemsOf(raw.synthetics).forEach((synthetic, i) => {
    checkName(
      issues,
      ['synthetics', i, 'environment'],
      field(synthetic, 'environment'),
      'environment',
      envNames,
      'environments',
    );
  });
  itemsOf(field(raw.logs, 'patterns')).forEach((pattern, i) => {
    checkName(
      issues,
      ['logs', 'patterns', i, 'environment'],
      field(pattern, 'environment'),
      'environment',
      envNames,
      'environments',
    );
  });
  checkSteps(raw, issues);
  checkEmail(raw, issues);
  return issues;
}
