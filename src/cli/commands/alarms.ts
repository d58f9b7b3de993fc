// gantry alarms [list|history|silence|synthetics]: the alarms of gantry.yaml and their states, an
// alarm's transitions, silencing its notifications for a while, and the synthetic checks.
import { type Command, InvalidArgumentError } from 'commander';
import type { AlarmStatus, AlarmTransition, SyntheticStatus } from '../../api/alarm-routes.ts';
import {
  formatDuration as formatConfigDuration,
  MAX_DURATION_TEXT,
  parseDuration,
} from '../../config/units.ts';
import type { GantryClient } from '../client.ts';
import { type ClientOptions, commandGroup } from '../command-group.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { formatDateTime, formatTable } from '../format.ts';
import { writeJson } from '../io.ts';
import { addExamples, parsePositiveInt } from '../options.ts';
import { formatValue } from './metrics.ts';

const STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

function parseState(value: string): string {
  const state = value.toUpperCase();
  if (!STATES.includes(state)) throw new InvalidArgumentError(`expected one of ${STATES.join(', ')}.`);
  return state;
}

function parseSilenceDuration(value: string): string {
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1000)
    throw new InvalidArgumentError(`expected a duration like 30m, 1h or 2d, ${MAX_DURATION_TEXT}.`);
  return value;
}

export function registerAlarms(program: Command, ctx: CliContext): Command {
  const group = program
    .command('alarms')
    .description('list alarms and their states, show their history, silence them, list synthetic checks');
  addExamples(group, [
    'gantry alarms',
    'gantry alarms list --state ALARM --json',
    'gantry alarms history high-5xx --env production',
    'gantry alarms silence high-5xx --env production --for 1h --reason "known issue, fix deploying"',
    'gantry alarms synthetics',
  ]);

  const { run, client, print, sub } = commandGroup(ctx, group);

  sub('list', 'list every alarm with its state (the default)', ['gantry alarms list --env production'], {
    isDefault: true,
  })
    .option('--env <environment>', 'only this environment')
    .option('--state <state>', `only alarms in this state: ${STATES.join(', ')}`, parseState)
    .action((o: ClientOptions & { env?: string; state?: string }, command: Command) =>
      run(command, async (json) => {
        const body = await (await client(o)).listAlarms({ environment: o.env, state: o.state });
        if (json) writeJson(ctx.io.stdout, body);
        else print(renderAlarmList(body.alarms));
      }),
    );

  sub('history', "show an alarm's transitions, newest first", [
    'gantry alarms history high-5xx',
    'gantry alarms history high-5xx --env production --limit 5 --json',
  ])
    .argument('<name>', 'alarm name')
    .option('--env <environment>', 'only this environment')
    .option('--limit <n>', 'how many transitions to show', parsePositiveInt, 20)
    .action((name: string, o: ClientOptions & { env?: string; limit: number }, command: Command) =>
      run(command, async (json) => {
        const body = await (await client(o)).alarmHistory(name, { environment: o.env, limit: o.limit });
        if (json) writeJson(ctx.io.stdout, body);
        else print(renderAlarmHistory(name, body.transitions));
      }),
    );

  sub('silence', "mute an alarm's notifications for a while (it keeps being evaluated)", [
    'gantry alarms silence high-5xx --for 1h --reason "deploying the fix"',
    'gantry alarms silence high-5xx --env production --for 30m --reason "load test" --json',
  ])
    .argument('<name>', 'alarm name')
    .option('--env <environment>', "the alarm's environment (default: the one it is defined for)")
    .requiredOption('--for <duration>', 'how long, e.g. 30m, 1h, 2d', parseSilenceDuration)
    .requiredOption('--reason <text>', 'why, shown with the silence')
    .action(
      (name: string, o: ClientOptions & { env?: string; for: string; reason: string }, command: Command) =>
        run(command, async (json) => {
          const c = await client(o);
          const environment = o.env ?? (await environmentOf(c, name));
          const createdBy = ctx.io.env.GANTRY_USER || ctx.io.env.USER;
          const body = await c.createSilence({
            matchers: [
              { name: 'alertname', value: name },
              ...(environment !== undefined ? [{ name: 'environment', value: environment }] : []),
            ],
            duration: o.for,
            comment: o.reason,
            ...(createdBy ? { createdBy } : {}),
          });
          if (json) writeJson(ctx.io.stdout, body);
          else {
            const s = body.silence;
            const where = environment !== undefined ? ` in ${environment}` : '';
            print([`silenced ${name}${where} until ${formatDateTime(s.endsAt)} (${s.id}): ${s.comment}`]);
          }
        }),
    );

  sub('synthetics', 'list the synthetic checks and their last results', ['gantry alarms synthetics --json'])
    .option('--env <environment>', 'only this environment')
    .action((o: ClientOptions & { env?: string }, command: Command) =>
      run(command, async (json) => {
        const body = await (await client(o)).listSynthetics({ environment: o.env });
        if (json) writeJson(ctx.io.stdout, body);
        else print(renderSynthetics(body.synthetics));
      }),
    );

  return group;
}

/** The one environment an alarm name is defined for; a silence without it would match every one. */
async function environmentOf(c: GantryClient, name: string): Promise<string | undefined> {
  const envs = [
    ...new Set((await c.listAlarms()).alarms.filter((a) => a.alarm === name).map((a) => a.environment)),
  ];
  if (envs.length === 0) {
    throw new UsageError(
      `no alarm ${name} on the server`,
      'Run `gantry alarms` to list the alarms, or pass --env.',
    );
  }
  return envs.length === 1 ? envs[0] : undefined;
}

export function renderAlarmList(alarms: AlarmStatus[]): string[] {
  if (alarms.length === 0) return ['no alarms (add some under `alarms:` in gantry.yaml)'];
  return formatTable(
    ['NAME', 'ENVIRONMENT', 'STATE', 'SINCE', 'METRIC', 'THRESHOLD', 'LAST VALUE', 'SEVERITY'],
    alarms.map((a) => [
      a.alarm,
      a.environment,
      a.state,
      formatDateTime(a.since),
      a.metric,
      formatThreshold(a),
      a.lastValue === null ? '-' : showValue(a.metric, a.lastValue),
      a.severity,
    ]),
  );
}

export function renderAlarmHistory(name: string, transitions: AlarmTransition[]): string[] {
  if (transitions.length === 0) return [`${name} has not changed state yet`];
  return formatTable(
    ['AT', 'ENVIRONMENT', 'FROM', 'TO', 'REASON'],
    transitions.map((t) => [formatDateTime(t.at), t.environment, t.from, t.to, t.reason]),
  );
}

export function renderSynthetics(synthetics: SyntheticStatus[]): string[] {
  if (synthetics.length === 0) return ['no synthetic checks (add some under `synthetics:` in gantry.yaml)'];
  return formatTable(
    ['NAME', 'ENVIRONMENT', 'EVERY', 'CHECK', 'LAST', 'AT', 'RESULT'],
    synthetics.map((s) => {
      const last = s.lastResults[0];
      return [
        s.name,
        s.environment,
        formatConfigDuration(s.everyMs),
        s.check,
        last ? (last.ok ? 'ok' : 'FAILED') : '-',
        last ? formatDateTime(last.at) : '-',
        last ? (last.message.split('\n')[0] ?? '') : 'not run yet',
      ];
    }),
  );
}

function formatThreshold(
  a: Pick<AlarmStatus, 'metric' | 'threshold' | 'datapointsToAlarm' | 'evaluationPeriods' | 'periodMs'>,
): string {
  const t =
    a.threshold.above !== undefined
      ? `> ${showValue(a.metric, a.threshold.above)}`
      : `< ${showValue(a.metric, a.threshold.below ?? 0)}`;
  return `${t} (${a.datapointsToAlarm}/${a.evaluationPeriods} × ${formatConfigDuration(a.periodMs)})`;
}

function showValue(metric: string, v: number): string {
  return metric.startsWith('synthetic_latency:') ? `${Math.round(v)} ms` : formatValue(metric, v);
}
