// gantry audit [--verify]: the audit log, newest first (who, from where, what, target, outcome),
// or a walk of its hash chain that exits 1 and names the first entry that does not fit.
import type { Command } from 'commander';
import type { AuditEntryView, AuditVerifyResponse } from '../../api/audit-routes.ts';
import { type CliContext, createClient, perform } from '../context.ts';
import { EXIT_FAILED, EXIT_OK } from '../errors.ts';
import { formatDateTime, formatTable } from '../format.ts';
import { writeJson, writeLine } from '../io.ts';
import { addClientOptions, addExamples, parsePositiveInt } from '../options.ts';

const DEFAULT_LIMIT = 50;

interface AuditOptions {
  verify?: boolean;
  limit: number;
  before?: number;
  env?: string;
  action?: string;
  dataDir?: string;
}

export function registerAudit(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('audit')
    .description('show the audit log of every change, newest first, or verify its hash chain (admin)')
    .option('--verify', 'walk the hash chain; exit 1 and name the first bad entry if it was tampered with')
    .option('--limit <n>', 'how many entries to show', parsePositiveInt, DEFAULT_LIMIT)
    .option('--before <seq>', 'only entries before this sequence number (the next page)', parsePositiveInt)
    .option('--env <environment>', 'only entries about this environment')
    .option('--action <action>', 'only this action, e.g. "POST /api/v1/releases"');
  addClientOptions(cmd);
  addExamples(cmd, [
    'gantry audit',
    'gantry audit --env production --limit 20',
    'gantry audit --verify',
    'gantry audit --json | jq .entries[].action',
  ]);
  return cmd.action((opts: AuditOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const client = await createClient(ctx, opts.dataDir);
      if (opts.verify) {
        const result = await client.verifyAudit();
        if (json) writeJson(ctx.io.stdout, result);
        else writeLine(result.ok ? ctx.io.stdout : ctx.io.stderr, describeVerification(result));
        return result.ok ? EXIT_OK : EXIT_FAILED;
      }
      const body = await client.listAudit({
        limit: opts.limit,
        ...(opts.before !== undefined ? { before: opts.before } : {}),
        ...(opts.env !== undefined ? { environment: opts.env } : {}),
        ...(opts.action !== undefined ? { action: opts.action } : {}),
      });
      if (json) writeJson(ctx.io.stdout, body);
      else for (const line of renderAudit(body.entries)) writeLine(ctx.io.stdout, line);
      return EXIT_OK;
    }),
  );
}

export function describeVerification(r: AuditVerifyResponse): string {
  if (r.ok) {
    return r.head
      ? `audit log intact: ${r.checked} entries, newest #${r.head.seq} (hash ${r.head.hash.slice(0, 16)}…)`
      : 'audit log intact: no entries yet';
  }
  const bad = r.firstBad;
  return `audit log TAMPERED: entry #${bad?.seq} does not fit the chain (${bad?.reason}); ${r.checked} entries before it are intact`;
}

export function renderAudit(entries: AuditEntryView[]): string[] {
  if (entries.length === 0) return ['no audit entries'];
  return formatTable(
    ['SEQ', 'AT', 'ACTOR', 'ADDRESS', 'ACTION', 'TARGET', 'OUTCOME'],
    entries.map((e) => [
      String(e.seq),
      formatDateTime(e.at),
      e.actor.kind === 'token' ? `${e.actor.name} (${e.actor.id})` : `${e.actor.kind}:${e.actor.name}`,
      e.address ?? '-',
      e.action,
      [e.target.environment, e.target.release, e.target.name].filter(Boolean).join(' ') || '-',
      e.outcome.error
        ? `${e.outcome.status ?? ''} ${e.outcome.error}`.trim()
        : String(e.outcome.status ?? 'ok'),
    ]),
  );
}
