// Who is asking: the identity every API request, release and audit entry is attributed to.
// Set on each request by the auth hook (`request.actor`); webhooks and the server itself act
// under their own kinds so the audit log can tell a person's token from a GitHub push.

export type Role = 'viewer' | 'deployer' | 'admin';

export const ROLES: readonly Role[] = ['viewer', 'deployer', 'admin'];

export interface Actor {
  kind: 'token' | 'webhook' | 'system';
  /** Token id (`tok_…`), `github:<delivery id>` for a webhook, `server` for the server itself. */
  id: string;
  /** A human-readable name: the token's name, `github`, `server`. */
  name: string;
  role: Role;
  /** Environments the role applies to; undefined means every environment. */
  environments?: readonly string[];
  /** The client's address, for the audit log. */
  address?: string;
}

/** Does `actor` hold at least `role` (for `environment`, when the action concerns one)? */
export function actorMay(actor: Actor, role: Role, environment?: string): boolean {
  if (ROLES.indexOf(actor.role) < ROLES.indexOf(role)) return false;
  if (environment === undefined || actor.environments === undefined) return true;
  return actor.environments.includes(environment);
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'server', name: 'server', role: 'admin' };

/**
 * What a route requires (the route table's `access`): no credentials at all, a role, or a
 * webhook's own signature checked by its handler (public as far as tokens are concerned).
 */
export type Access = 'public' | Role | 'webhook';

/** The access of a route without one in the route table: reading needs viewer, changing deployer. */
export function defaultAccess(method: string): Access {
  return method === 'GET' || method === 'HEAD' ? 'viewer' : 'deployer';
}

// `request.actor` on every fastify request (set by auth/hook.ts). Declared here, next to Actor, so
// that every program that sees the API's types sees it too.
declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking; undefined on public routes (a webhook handler sets its own after verifying). */
    actor?: Actor;
  }
}
