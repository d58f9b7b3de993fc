// Who may replace a version's scan report. A report is evidence: once a release's scan gate has
// read it, the environments that did not check the version yet (production, typically) will read
// the same report. A deployer token scoped to some environments may attach a version's first report
// and replace it while no gate has read it (CI re-running its scan); once one has, only a token that
// acts on every environment (an unscoped deployer, or an admin) may replace it. Uploading the same
// bytes again is not a replacement.
import type { Actor } from '../auth/types.ts';
import type { PolicyDecision } from './types.ts';

/** A release whose policy decision read the version's scan report. */
export interface ScanCheck {
  release: string;
  environment: string;
}

export type ReplaceDecision = { ok: true } | { ok: false; message: string; hint: string };

/** How many checking releases a refusal names. */
const NAMED = 5;

/** Did this release's recorded policy decision read the scan report? */
export function decisionReadScan(decision: PolicyDecision | null): boolean {
  return decision?.rules.some((r) => r.rule === 'scan' && r.outcome !== 'waived') ?? false;
}

export function mayReplaceScan(
  actor: Pick<Actor, 'name' | 'environments'> | undefined,
  version: string,
  checks: readonly ScanCheck[],
): ReplaceDecision {
  if (checks.length === 0 || !actor?.environments) return { ok: true };
  const named = checks
    .slice(0, NAMED)
    .map((c) => `${c.release} (${c.environment})`)
    .join(', ');
  const more = checks.length > NAMED ? ` and ${checks.length - NAMED} more` : '';
  return {
    ok: false,
    message: `the scan report of ${version} was read by the scan gate of ${named}${more}; ${actor.name} acts on ${actor.environments.join(', ')} only, and a report other environments will read may then be replaced only by a token not limited to environments`,
    hint: `Ask an admin to replace it (\`gantry tokens create --role deployer\` makes an unscoped token), or upload the new build and its report as a new version.`,
  };
}
