// `gantry status --env ENV`: the environment's release policy under its table.
import type { EnvironmentPolicyView } from '../policy/types.ts';

/** `policy: closed now (outside every deployment window); opens Tue 2026-05-12 02:00 UTC` and the rules. */
export function renderPolicy(p: EnvironmentPolicyView): string[] {
  if (p.windows.length === 0 && p.freezes.length === 0 && !p.requires && !p.scan) {
    return ['', `${p.environment} policy: none (releases may start at any time)`];
  }
  const lines = ['', `${p.environment} policy`];
  const state = p.open ? 'open now' : `closed now (${p.reason ?? 'closed'})`;
  const next = p.open
    ? p.nextClose && `closes ${p.nextClose.local}`
    : p.nextOpen && `opens ${p.nextOpen.local}`;
  const utc = p.open ? p.nextClose?.utc : p.nextOpen?.utc;
  const inUtc = utc && next && !next.endsWith(' UTC') ? ` (${utc})` : '';
  lines.push(`  ${state}${next ? `; ${next}${inUtc}` : ''}`);
  for (const w of p.windows) lines.push(`  window  ${w.description}${w.openNow ? '  (open)' : ''}`);
  for (const f of p.freezes) {
    const reason = f.reason ? ` ${f.reason}` : '';
    lines.push(`  freeze  ${f.from}…${f.to} (${f.tz})${reason}${f.activeNow ? '  (in effect)' : ''}`);
  }
  if (p.requires) lines.push(`  requires  a version that succeeded in ${p.requires.passed}`);
  if (p.scan) {
    const allow = p.scan.allow.map(
      (a) => `${a.id}${a.until ? ` until ${a.until}` : ''}${a.expired ? ' (expired)' : ''}`,
    );
    lines.push(
      `  scan  fail_on ${p.scan.fail_on}${allow.length > 0 ? `; allowed: ${allow.join(', ')}` : ''}`,
    );
  }
  return lines;
}
