// gantry oncall [--schedule S] [--shifts N] [--at TIME]: who is on call now and next in each
// schedule of gantry.yaml, with handoff times in the schedule's zone (docs/oncall.md).
import type { Command } from 'commander';
import type { OncallResponse } from '../../api/oncall-routes.ts';
import { MAX_SHIFTS } from '../../oncall/schedule.ts';
import { type CliContext, createClient, perform } from '../context.ts';
import { EXIT_OK, UsageError } from '../errors.ts';
import { formatTable } from '../format.ts';
import { writeJson, writeLine } from '../io.ts';
import { addClientOptions, addExamples } from '../options.ts';

interface OncallOptions {
  schedule?: string;
  shifts?: string;
  at?: string;
  dataDir?: string;
}

export function registerOncall(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('oncall')
    .description('show who is on call now and next in each schedule')
    .option('--schedule <name>', 'only this schedule')
    .option('--shifts <n>', `list this many shifts from now (1-${MAX_SHIFTS})`)
    .option('--at <time>', 'ask about another instant (ISO-8601, like 2026-12-24T10:00:00Z)');
  addClientOptions(cmd);
  addExamples(cmd, ['gantry oncall', 'gantry oncall --schedule primary --shifts 6', 'gantry oncall --json']);
  return cmd.action((opts: OncallOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const shifts = opts.shifts === undefined ? undefined : Number(opts.shifts);
      if (shifts !== undefined && !(Number.isInteger(shifts) && shifts >= 1 && shifts <= MAX_SHIFTS)) {
        throw new UsageError(
          `--shifts: expected a whole number from 1 to ${MAX_SHIFTS}, got "${opts.shifts}"`,
        );
      }
      const at = opts.at === undefined ? undefined : new Date(opts.at);
      if (at !== undefined && Number.isNaN(at.getTime())) {
        throw new UsageError(`--at: expected a time like 2026-12-24T10:00:00Z, got "${opts.at}"`);
      }
      const client = await createClient(ctx, opts.dataDir);
      const body = await client.oncall({ schedule: opts.schedule, shifts, at: at?.toISOString() });
      if (json) writeJson(ctx.io.stdout, body);
      else for (const line of renderOncall(body, shifts !== undefined)) writeLine(ctx.io.stdout, line);
      return EXIT_OK;
    }),
  );
}

/** Local wall time of an instant in a zone, like "Mon 2026-03-30 09:00". */
function localTime(iso: string, tz: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: tz,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

export function renderOncall(body: OncallResponse, listShifts: boolean): string[] {
  if (body.oncall.length === 0) {
    return ['No on-call schedules: add them under oncall.schedules in gantry.yaml (see docs/oncall.md).'];
  }
  if (!listShifts) {
    return formatTable(
      ['SCHEDULE', 'ON CALL NOW', 'UNTIL', 'NEXT', 'TZ'],
      body.oncall.map((s) => [
        s.schedule,
        s.now.override ? `${s.now.person} (override)` : s.now.person,
        localTime(s.now.to, s.tz),
        s.next.override ? `${s.next.person} (override)` : s.next.person,
        s.tz,
      ]),
    );
  }
  return formatTable(
    ['SCHEDULE', 'PERSON', 'FROM', 'TO', 'TZ'],
    body.oncall.flatMap((s) =>
      s.shifts.map((shift) => [
        s.schedule,
        shift.override ? `${shift.person} (override)` : shift.person,
        localTime(shift.from, s.tz),
        localTime(shift.to, s.tz),
        s.tz,
      ]),
    ),
  );
}
