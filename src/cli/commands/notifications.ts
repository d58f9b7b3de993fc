// gantry notifications [--limit N] [--status pending|delivered|failed]: the delivery log, newest
// first: who was told what, how many attempts it took, and why a delivery failed.
import { type Command, InvalidArgumentError } from 'commander';
import type { DeliveryView } from '../../notify/types.ts';
import { type CliContext, createClient, perform } from '../context.ts';
import { EXIT_OK } from '../errors.ts';
import { formatDateTime, formatTable } from '../format.ts';
import { writeJson, writeLine } from '../io.ts';
import { addClientOptions, addExamples, parsePositiveInt } from '../options.ts';

const STATUSES = ['pending', 'delivered', 'failed'] as const;
type Status = (typeof STATUSES)[number];

interface NotificationsOptions {
  limit: number;
  status?: Status;
  dataDir?: string;
}

function parseStatus(value: string): Status {
  const s = value.toLowerCase();
  if (!(STATUSES as readonly string[]).includes(s)) {
    throw new InvalidArgumentError(`expected one of ${STATUSES.join(', ')}.`);
  }
  return s as Status;
}

export function registerNotifications(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('notifications')
    .description('show the notification delivery log, newest first')
    .option('--limit <n>', 'how many deliveries to show', parsePositiveInt, 20)
    .option('--status <status>', `only ${STATUSES.join(', ')} deliveries`, parseStatus);
  addClientOptions(cmd);
  addExamples(cmd, ['gantry notifications', 'gantry notifications --status failed --limit 50 --json']);
  return cmd.action((opts: NotificationsOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const client = await createClient(ctx, opts.dataDir);
      const body = await client.listNotifications({
        limit: opts.limit,
        ...(opts.status !== undefined ? { status: opts.status } : {}),
      });
      if (json) writeJson(ctx.io.stdout, body);
      else
        for (const line of renderNotifications(body.deliveries, opts.status)) writeLine(ctx.io.stdout, line);
      return EXIT_OK;
    }),
  );
}

export function renderNotifications(deliveries: DeliveryView[], status?: Status): string[] {
  if (deliveries.length === 0) return [status ? `no ${status} notifications` : 'no notifications yet'];
  return formatTable(
    ['CREATED', 'ALARM', 'ENVIRONMENT', 'WHAT', 'TO', 'STATUS', 'ATTEMPTS', 'DETAIL'],
    deliveries.map((d) => [
      formatDateTime(d.createdAt),
      d.alarm,
      d.environment,
      d.kind,
      `${d.receiver}/${d.channel}`,
      d.status,
      String(d.attempts),
      describeDetail(d),
    ]),
  );
}

function describeDetail(d: DeliveryView): string {
  if (d.status === 'delivered' && d.deliveredAt) return `delivered ${formatDateTime(d.deliveredAt)}`;
  if (d.status === 'pending') {
    const next = d.nextAttemptAt ? `next try ${formatDateTime(d.nextAttemptAt)}` : 'sending';
    return d.lastError ? `${next}; last error: ${d.lastError}` : next;
  }
  return d.lastError ?? '';
}
