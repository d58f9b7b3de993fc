// gantry incidents [list|show|ack|resolve|assign|note|stats]: incidents opened by alarms, their
// timelines and post-mortems, and the people's actions on them.
import { type Command, InvalidArgumentError } from 'commander';
import type {
  IncidentDetailResponse,
  IncidentStats,
  IncidentView,
  TimelineEntry,
} from '../../api/incident-routes.ts';
import { MAX_DURATION_TEXT, parseDuration } from '../../config/units.ts';
import { type ClientOptions, commandGroup } from '../command-group.ts';
import type { CliContext } from '../context.ts';
import { formatClock, formatDateTime, formatDuration, formatTable } from '../format.ts';
import { writeJson, writeLine } from '../io.ts';
import { addExamples, parsePositiveInt } from '../options.ts';
import { escapeControlsKeepingLines } from '../terminal-text.ts';

const STATUSES = ['open', 'acknowledged', 'resolved', 'active', 'all'];

function parseStatus(value: string): string {
  if (!STATUSES.includes(value)) throw new InvalidArgumentError(`expected one of ${STATUSES.join(', ')}.`);
  return value;
}

function parseSince(value: string): string {
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1000)
    throw new InvalidArgumentError(`expected a duration like 24h, 7d or 30d, ${MAX_DURATION_TEXT}.`);
  return value;
}

/** Who acts: --by, else GANTRY_USER, else the login name. */
function actor(ctx: CliContext, by: string | undefined): string | undefined {
  return by ?? (ctx.io.env.GANTRY_USER || ctx.io.env.USER || undefined);
}

export function registerIncidents(program: Command, ctx: CliContext): Command {
  const group = program
    .command('incidents')
    .description('list incidents, show their timelines and post-mortems, acknowledge and resolve them');
  addExamples(group, [
    'gantry incidents --status active',
    'gantry incidents show inc_01abc',
    'gantry incidents show inc_01abc --postmortem > postmortem.md',
    'gantry incidents ack inc_01abc',
    'gantry incidents resolve inc_01abc --resolution "rolled back to v1" --root-cause "v2 leaked connections"',
    'gantry incidents assign inc_01abc --to alice',
    'gantry incidents note inc_01abc "error rate back under 1 %"',
  ]);

  const { run, client, print, sub } = commandGroup(ctx, group);

  sub(
    'list',
    'list incidents, newest first (the default)',
    ['gantry incidents list --status open --env production'],
    {
      isDefault: true,
    },
  )
    .option('--status <status>', `one of ${STATUSES.join(', ')}`, parseStatus, 'all')
    .option('--env <environment>', 'only this environment')
    .option('--limit <n>', 'how many incidents to show', parsePositiveInt, 20)
    .action((o: ClientOptions & { status: string; env?: string; limit: number }, command: Command) =>
      run(command, async (json) => {
        const body = await (await client(o)).listIncidents({
          status: o.status,
          environment: o.env,
          limit: o.limit,
        });
        if (json) writeJson(ctx.io.stdout, body);
        else print(renderIncidentList(body.incidents));
      }),
    );

  sub('show', 'show an incident and its timeline, or its post-mortem draft', [
    'gantry incidents show inc_01abc',
    'gantry incidents show inc_01abc --postmortem',
  ])
    .argument('<id>', 'incident id')
    .option('--postmortem', 'print the post-mortem draft in Markdown')
    .action((id: string, o: ClientOptions & { postmortem?: boolean }, command: Command) =>
      run(command, async (json) => {
        const c = await client(o);
        if (o.postmortem) {
          const markdown = await c.incidentPostmortem(id);
          if (json) writeJson(ctx.io.stdout, { id, markdown });
          else ctx.io.stdout.write(escapeControlsKeepingLines(markdown));
          return;
        }
        const body = await c.getIncident(id);
        if (json) writeJson(ctx.io.stdout, body);
        else print(renderIncident(body));
      }),
    );

  sub('ack', 'acknowledge an open incident (stops repeated notifications)', [
    'gantry incidents ack inc_01abc',
  ])
    .argument('<id>', 'incident id')
    .option('--by <name>', 'who acknowledges (default: $GANTRY_USER or $USER)')
    .action((id: string, o: ClientOptions & { by?: string }, command: Command) =>
      run(command, async (json) => {
        const by = actor(ctx, o.by);
        const body = await (await client(o)).incidentAction(id, 'ack', by ? { by } : {});
        if (json) writeJson(ctx.io.stdout, body);
        else
          writeLine(
            ctx.io.stdout,
            `✔ ${id} acknowledged by ${body.incident.acknowledgedBy} (${responded(body.incident)})`,
          );
      }),
    );

  sub('resolve', 'resolve an incident', [
    'gantry incidents resolve inc_01abc --resolution "rolled back to v1" --root-cause "bad config in v2"',
  ])
    .argument('<id>', 'incident id')
    .option('--resolution <text>', 'what fixed it')
    .option('--root-cause <text>', 'why it happened')
    .option('--by <name>', 'who resolves (default: $GANTRY_USER or $USER)')
    .action(
      (
        id: string,
        o: ClientOptions & { by?: string; resolution?: string; rootCause?: string },
        command: Command,
      ) =>
        run(command, async (json) => {
          const by = actor(ctx, o.by);
          const body = await (await client(o)).incidentAction(id, 'resolve', {
            ...(by ? { by } : {}),
            ...(o.resolution !== undefined ? { resolution: o.resolution } : {}),
            ...(o.rootCause !== undefined ? { rootCause: o.rootCause } : {}),
          });
          const mttr = body.incident.mttrMs === null ? '' : ` after ${formatDuration(body.incident.mttrMs)}`;
          if (json) writeJson(ctx.io.stdout, body);
          else writeLine(ctx.io.stdout, `✔ ${id} resolved by ${body.incident.resolvedBy}${mttr}`);
        }),
    );

  sub('assign', 'assign an incident to a person', ['gantry incidents assign inc_01abc --to alice'])
    .argument('<id>', 'incident id')
    .requiredOption('--to <name>', 'the assignee')
    .option('--by <name>', 'who assigns (default: $GANTRY_USER or $USER)')
    .action((id: string, o: ClientOptions & { to: string; by?: string }, command: Command) =>
      run(command, async (json) => {
        const by = actor(ctx, o.by);
        const body = await (await client(o)).incidentAction(id, 'assign', {
          assignee: o.to,
          ...(by ? { by } : {}),
        });
        if (json) writeJson(ctx.io.stdout, body);
        else writeLine(ctx.io.stdout, `✔ ${id} assigned to ${body.incident.assignee}`);
      }),
    );

  sub('note', "add a note to an incident's timeline", ['gantry incidents note inc_01abc "restarted the DB"'])
    .argument('<id>', 'incident id')
    .argument('<text...>', 'the note')
    .option('--by <name>', 'who writes it (default: $GANTRY_USER or $USER)')
    .action((id: string, words: string[], o: ClientOptions & { by?: string }, command: Command) =>
      run(command, async (json) => {
        const by = actor(ctx, o.by);
        const body = await (await client(o)).incidentAction(id, 'notes', {
          text: words.join(' '),
          ...(by ? { by } : {}),
        });
        if (json) writeJson(ctx.io.stdout, body);
        else writeLine(ctx.io.stdout, `✔ note added to ${id}`);
      }),
    );

  sub('stats', 'incident counts, MTTA and MTTR over the recent past', ['gantry incidents stats --since 30d'])
    .option('--since <duration>', 'how far back to look', parseSince, '30d')
    .option('--env <environment>', 'only this environment')
    .action((o: ClientOptions & { since: string; env?: string }, command: Command) =>
      run(command, async (json) => {
        const body = await (await client(o)).incidentStats({ since: `-${o.since}`, environment: o.env });
        if (json) writeJson(ctx.io.stdout, body);
        else print(renderIncidentStats(body));
      }),
    );

  return group;
}

export function renderIncidentList(incidents: IncidentView[]): string[] {
  if (incidents.length === 0) return ['no incidents'];
  return formatTable(
    ['ID', 'SEVERITY', 'STATUS', 'ENVIRONMENT', 'OPENED', 'DURATION', 'ASSIGNEE', 'ALARMS'],
    incidents.map((i) => [
      i.id,
      i.severity,
      i.status,
      i.environment,
      formatDateTime(i.openedAt),
      i.mttrMs === null ? 'ongoing' : formatDuration(i.mttrMs),
      i.assignee ?? '-',
      i.alarms.join(', '),
    ]),
  );
}

export function renderIncident(body: IncidentDetailResponse): string[] {
  const i = body.incident;
  const lines = [
    i.title,
    `${i.id}  ${i.status}  ${i.environment}  assignee ${i.assignee ?? '-'}`,
    `opened    ${formatDateTime(i.openedAt)}  by alarm ${i.alarms[0] ?? '?'}${i.alarms.length > 1 ? ` (+ ${i.alarms.slice(1).join(', ')})` : ''}`,
    `acked     ${i.acknowledgedAt ? `${formatDateTime(i.acknowledgedAt)}  by ${i.acknowledgedBy}  (MTTA ${formatDuration(i.mttaMs ?? 0)})` : '-'}`,
    `resolved  ${i.resolvedAt ? `${formatDateTime(i.resolvedAt)}  by ${i.resolvedBy}  (MTTR ${formatDuration(i.mttrMs ?? 0)})` : '-'}`,
  ];
  if (i.resolution) lines.push(`resolution  ${i.resolution}`);
  if (i.rootCause) lines.push(`root cause  ${i.rootCause}`);
  lines.push('', 'timeline', ...renderTimeline(body.timeline));
  return lines;
}

/** `12:03:04  alarm high-5xx → ALARM: …`, with the date when the timeline spans days. */
export function renderTimeline(timeline: TimelineEntry[]): string[] {
  if (timeline.length === 0) return ['(empty)'];
  const days = new Set(timeline.map((e) => formatDateTime(e.at).slice(0, 10)));
  const time = days.size > 1 ? formatDateTime : formatClock;
  return timeline.map((e) => `${time(e.at)}  ${e.message}`);
}

export function renderIncidentStats(s: IncidentStats): string[] {
  const line = (label: string, d: IncidentStats['mtta'], what: string) =>
    d.count === 0
      ? `${label}  - (none ${what})`
      : `${label}  mean ${formatDuration(d.meanMs ?? 0)}  median ${formatDuration(d.medianMs ?? 0)}  (${d.count} ${what})`;
  return [
    `incidents since ${formatDateTime(s.since)}: ${s.total} (open ${s.byStatus.open}, acknowledged ${s.byStatus.acknowledged}, resolved ${s.byStatus.resolved})`,
    `by severity: ${Object.entries(s.bySeverity)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    line('MTTA', s.mtta, 'acknowledged'),
    line('MTTR', s.mttr, 'resolved'),
  ];
}

function responded(i: IncidentView): string {
  return i.mttaMs === null ? 'not acknowledged' : `MTTA ${formatDuration(i.mttaMs)}`;
}
