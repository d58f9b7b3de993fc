// The release policy's part of deploy, release, promote and rollback: `--scan report.json` (uploaded
// with the version, before the release is asked for) and `--override-policy "reason"` (admin only).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { PolicyDecision, PolicyOverride } from '../policy/types.ts';
import type { GantryClient } from './client.ts';
import type { CliContext } from './context.ts';
import { UsageError } from './errors.ts';
import { writeLine } from './io.ts';

export interface PolicyOptions {
  scan?: string;
  overridePolicy?: string;
}

export function addScanOption(cmd: Command): Command {
  return cmd.option(
    '--scan <report.json>',
    "vulnerability scan report of the version (Trivy --format json, Grype -o json, or npm audit --json), checked by the environment's scan gate",
  );
}

export function addOverrideOption(cmd: Command): Command {
  return cmd.option(
    '--override-policy <reason>',
    'start despite a closed window, a freeze or the scan gate (admin role only); the reason is recorded with the release',
  );
}

/** `{ override: { reason } }` for the request body when --override-policy was given. */
export function overrideOf(opts: PolicyOptions): { override?: PolicyOverride } {
  if (opts.overridePolicy === undefined) return {};
  if (opts.overridePolicy.trim() === '') {
    throw new UsageError('--override-policy needs a reason', 'e.g. --override-policy "hotfix for INC-42"');
  }
  return { override: { reason: opts.overridePolicy } };
}

/** Uploads the report named by --scan for the version (after its artifact, before the release). */
export async function shipScan(
  ctx: CliContext,
  client: GantryClient,
  version: string,
  opts: PolicyOptions,
  json: boolean,
): Promise<void> {
  if (!opts.scan) return;
  const file = opts.scan;
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(
      err.code === 'ENOENT'
        ? `scan report not found: ${file}`
        : `cannot read the scan report ${file}: ${err.message}`,
      'Pass the JSON file your scanner wrote, e.g. trivy fs --format json --output report.json .',
    );
  });
  const { body } = await client.uploadScan(version, text);
  if (json) return;
  const s = body.scan;
  const counts = Object.entries(s.bySeverity)
    .filter(([, n]) => n > 0)
    .map(([severity, n]) => `${n} ${severity}`);
  writeLine(
    ctx.io.stdout,
    `scan report ${s.format}${s.scanner && s.scanner !== s.format ? ` (${s.scanner})` : ''} attached to ${version}: ${counts.length > 0 ? counts.join(', ') : 'no findings'}${body.replaced ? ' (replaced the earlier report)' : ''}`,
  );
}

/** The lines a started release shows about its policy: overridden rules, waived ones. */
export function describePolicy(decision: PolicyDecision | null | undefined): string[] {
  if (!decision) return [];
  if (decision.outcome === 'overridden' && decision.override) {
    const refused = decision.rules.filter((r) => r.outcome === 'refuse');
    return [
      `policy overridden by ${decision.override.by} (${decision.override.role}): "${decision.override.reason}"`,
      ...refused.map((r) => `  overrode ${r.message}`),
    ];
  }
  const waived = decision.rules.filter((r) => r.outcome === 'waived').map((r) => `  ${r.message}`);
  const rules = decision.rules.map((r) => r.rule).join(', ');
  return [`policy passed (${rules || 'no rules'})`, ...waived];
}
