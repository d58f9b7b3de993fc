// From evaluated rules to a decision: passed, refused, or overridden by an admin with a reason.
// An override is checked whenever a request carries one (fail closed): no reason, or an actor
// without the admin role for the environment, and the request is refused even if no rule was.
import { type Actor, actorMay } from '../auth/types.ts';
import { GantryError } from '../lib/errors.ts';
import type { PolicyDecision, PolicyOverride, RuleResult } from './types.ts';

export interface DecideInput {
  environment: string;
  version: string;
  kind: string;
  now: number;
  rules: RuleResult[];
  override?: PolicyOverride | undefined;
  /** Who asks; undefined when the request carries no identity. */
  actor?: Actor | undefined;
}

/** Throws OVERRIDE_REASON_REQUIRED or POLICY_OVERRIDE_FORBIDDEN; returns the trimmed reason. */
export function checkOverride(
  override: PolicyOverride,
  actor: Actor | undefined,
  environment: string,
): string {
  const reason = override.reason.trim();
  if (reason === '') {
    throw new GantryError(
      'OVERRIDE_REASON_REQUIRED',
      `overriding the policy of ${environment} needs a reason`,
    );
  }
  if (!actor) {
    throw new GantryError(
      'POLICY_OVERRIDE_FORBIDDEN',
      `overriding the policy of ${environment} needs the admin role, and this request carries no identity`,
    );
  }
  if (!actorMay(actor, 'admin', environment)) {
    const scope = actor.environments ? ` on ${actor.environments.join(', ')}` : '';
    throw new GantryError(
      'POLICY_OVERRIDE_FORBIDDEN',
      `overriding the policy of ${environment} needs the admin role for ${environment}; ${actor.name} has role ${actor.role}${scope}`,
    );
  }
  return reason;
}

export function decide(input: DecideInput): PolicyDecision {
  const refused = input.rules.some((r) => r.outcome === 'refuse');
  let override: PolicyDecision['override'] = null;
  if (input.override) {
    const reason = checkOverride(input.override, input.actor, input.environment);
    const actor = input.actor as Actor;
    override = { reason, by: actor.name, actorId: actor.id, role: actor.role, applied: refused };
  }
  return {
    environment: input.environment,
    version: input.version,
    kind: input.kind,
    evaluatedAt: new Date(input.now).toISOString(),
    outcome: !refused ? 'passed' : override ? 'overridden' : 'refused',
    rules: input.rules,
    override,
  };
}

/** The 422 a refused decision answers with: the message names every refusing rule. */
export function refusalError(decision: PolicyDecision): GantryError {
  const refused = decision.rules.filter((r) => r.outcome === 'refuse');
  const hints = [...new Set(refused.map((r) => hintFor(r, decision)))];
  return new GantryError(
    'POLICY_REFUSED',
    `${decision.kind} of ${decision.version} to ${decision.environment} refused by policy: ${refused.map((r) => r.message).join('; ')}`,
    { hint: hints.join(' '), details: { policy: decision } },
  );
}

function hintFor(r: RuleResult, d: PolicyDecision): string {
  const override = 'An admin may override it with --override-policy "reason".';
  switch (r.rule) {
    case 'requires': {
      const passed = (r.details?.passed as string | undefined) ?? 'the required environment';
      return `Release ${d.version} to ${passed} first (gantry deploy --env ${passed} --version ${d.version}).`;
    }
    case 'error_budget':
      return `Wait for the budget to recover (gantry slo --env ${d.environment} shows it), or roll back. ${override}`;
    case 'window':
    case 'freeze':
      return `Release inside a window (gantry status --env ${d.environment} shows when it opens). ${override}`;
    case 'scan':
      return r.details?.report === null
        ? `Upload the report with the release (gantry deploy --env ${d.environment} --version ${d.version} --artifact DIR --scan report.json).`
        : `Upgrade the packages, or add a reviewed allow-list entry with an expiry to scan.allow. ${override}`;
  }
}

/** One line for the release's `policy` event. */
export function describeDecision(d: PolicyDecision): string {
  const verdicts = d.rules.map(
    (r) => `${r.rule} ${r.outcome === 'refuse' ? 'refused' : r.outcome === 'pass' ? 'passed' : 'waived'}`,
  );
  const summary = verdicts.length > 0 ? verdicts.join(', ') : 'no rules';
  if (d.outcome === 'overridden' && d.override) {
    const refused = d.rules.filter((r) => r.outcome === 'refuse').map((r) => r.message);
    return `policy overridden by ${d.override.by} (${d.override.role}): "${d.override.reason}"; overrode ${refused.join('; ')}`;
  }
  const waived = d.rules.filter((r) => r.outcome === 'waived').map((r) => r.message);
  return `policy ${d.outcome} (${summary})${waived.length > 0 ? `: ${waived.join('; ')}` : ''}`;
}
