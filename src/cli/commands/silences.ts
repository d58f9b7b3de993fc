// gantry silences [list|create|expire]: mute notifications of the alerts whose labels match, for a
// while, with a reason; list the silences; end one early.
import { type Command, InvalidArgumentError } from 'commander';
import type { CreateSilenceRequest } from '../../api/notify-routes.ts';
import { MAX_DURATION_TEXT, parseDuration } from '../../config/units.ts';
import type { SilenceView } from '../../notify/types.ts';
import { type ClientOptions, commandGroup } from '../command-group.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { formatDateTime, formatTable } from '../format.ts';
import { writeJson } from '../io.ts';
import { addExamples } from '../options.ts';

type Matcher = CreateSilenceRequest['matchers'][number];

/** `name=value` (exact) or `name=~regex`. */
export function parseMatcher(value: string, previous: Matcher[] = []): Matcher[] {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(=~|=)(.*)$/s.exec(value);
  if (!m) {
    throw new InvalidArgumentError(
      'expected label=value or label=~regex, e.g. alertname=high-5xx or environment=~prod.*',
    );
  }
  const [, name = '', op, v = ''] = m;
  return [...previous, { name, value: v, isRegex: op === '=~' }];
}

function parseSilenceDuration(value: string): string {
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1000)
    throw new InvalidArgumentError(`expected a duration like 30m, 1h or 2d, ${MAX_DURATION_TEXT}.`);
  return value;
}

export function registerSilences(program: Command, ctx: CliContext): Command {
  const group = program
    .command('silences')
    .description('mute notifications of matching alerts for a while; list silences; expire one');
  addExamples(group, [
    'gantry silences',
    'gantry silences create --match alertname=high-5xx --match environment=production --for 1h --reason "deploying the fix"',
    'gantry silences expire sil_lx3k2a9f01c2d3e4f5',
  ]);
  const { run, client, print, sub } = commandGroup(ctx, group);

  sub('list', 'list active and pending silences (the default)', ['gantry silences list --all --json'], {
    isDefault: true,
  })
    .option('--all', 'include expired silences')
    .action((o: ClientOptions & { all?: boolean }, command: Command) =>
      run(command, async (json) => {
        const body = await (await client(o)).listSilences({ expired: o.all === true });
        if (json) writeJson(ctx.io.stdout, body);
        else print(renderSilences(body.silences, o.all === true));
      }),
    );

  sub('create', 'silence the alerts whose labels match every --match', [
    'gantry silences create --match alertname=high-5xx --for 1h --reason "deploying the fix"',
    'gantry silences create --match environment=staging --match severity=~P3|P4 --for 2d --reason "load tests"',
  ])
    .requiredOption(
      '--match <label=value>',
      'a label matcher (alertname, environment, service, severity, metric); =~ for a regex; repeatable',
      parseMatcher,
    )
    .option('--for <duration>', 'how long, e.g. 30m, 1h, 2d', parseSilenceDuration)
    .option('--until <time>', 'end time instead of --for (ISO-8601, e.g. 2026-05-01T18:00:00Z)')
    .requiredOption('--reason <text>', 'why, shown with the silence')
    .option('--by <name>', 'who is silencing (default: $USER)')
    .action(
      (
        o: ClientOptions & { match: Matcher[]; for?: string; until?: string; reason: string; by?: string },
        command: Command,
      ) =>
        run(command, async (json) => {
          if ((o.for === undefined) === (o.until === undefined)) {
            throw new UsageError('give exactly one of --for DURATION or --until TIME', 'e.g. --for 1h');
          }
          const by = o.by ?? ctx.io.env.USER;
          const body = await (await client(o)).createSilence({
            matchers: o.match,
            ...(o.for !== undefined ? { duration: o.for } : {}),
            ...(o.until !== undefined ? { endsAt: o.until } : {}),
            comment: o.reason,
            ...(by ? { createdBy: by } : {}),
          });
          if (json) writeJson(ctx.io.stdout, body);
          else {
            const s = body.silence;
            print([`created ${s.id}: ${formatMatchers(s)} silenced until ${formatDateTime(s.endsAt)}`]);
          }
        }),
    );

  sub('expire', 'end a silence now', ['gantry silences expire sil_lx3k2a9f01c2d3e4f5'])
    .argument('<id>', 'silence id (from `gantry silences`)')
    .action((id: string, o: ClientOptions, command: Command) =>
      run(command, async (json) => {
        const body = await (await client(o)).expireSilence(id);
        if (json) writeJson(ctx.io.stdout, body);
        else print([`expired ${body.silence.id} (${formatMatchers(body.silence)})`]);
      }),
    );

  return group;
}

export function renderSilences(silences: SilenceView[], all: boolean): string[] {
  if (silences.length === 0) return [all ? 'no silences' : 'no active silences (--all shows expired ones)'];
  return formatTable(
    ['ID', 'STATE', 'MATCHERS', 'STARTS', 'ENDS', 'BY', 'REASON'],
    silences.map((s) => [
      s.id,
      s.state,
      formatMatchers(s),
      formatDateTime(s.startsAt),
      formatDateTime(s.endsAt),
      s.createdBy ?? '-',
      s.comment,
    ]),
  );
}

export function formatMatchers(s: Pick<SilenceView, 'matchers'>): string {
  return s.matchers.map((m) => `${m.name}${m.isRegex ? '=~' : '='}${m.value}`).join(',');
}
