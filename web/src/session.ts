// Who is logged in to the dashboard: the actor behind the session cookie, and what the role lets
// the page offer (buttons a viewer may not use are not shown; the server refuses them anyway).
import type { ActorView, SessionResponse } from '../../src/api/auth-routes.ts';

type Role = ActorView['role'];
const ORDER: Role[] = ['viewer', 'deployer', 'admin'];

let me: ActorView | undefined;

export const currentUser = (): ActorView | undefined => me;

export function setCurrentUser(actor: ActorView | undefined): void {
  me = actor;
  for (const fn of listeners) fn(actor);
}

const listeners: Array<(actor: ActorView | undefined) => void> = [];
export const onUserChange = (fn: (actor: ActorView | undefined) => void) => listeners.push(fn);

/** May the logged-in actor act with `role` (on `environment`, when the action concerns one)? */
export function may(role: Role, environment?: string): boolean {
  if (!me || ORDER.indexOf(me.role) < ORDER.indexOf(role)) return false;
  return environment === undefined || me.environments === null || me.environments.includes(environment);
}

/** Asks the server who the cookie stands for; undefined when nobody is logged in. */
export async function loadSession(): Promise<ActorView | undefined> {
  const res = await fetch('/api/v1/session', { headers: { accept: 'application/json' } });
  if (res.status === 401) {
    setCurrentUser(undefined);
    return undefined;
  }
  if (!res.ok) throw new Error(`GET /api/v1/session: HTTP ${res.status}`);
  setCurrentUser(((await res.json()) as SessionResponse).actor);
  return me;
}

/** Exchanges a token for the session cookie; throws with the server's reason when it is refused. */
export async function logIn(token: string): Promise<ActorView> {
  const res = await fetch('/api/v1/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  const body = (await res.json().catch(() => ({}))) as Partial<SessionResponse> & {
    error?: { message: string; hint?: string };
  };
  if (!res.ok || !body.actor) {
    const e = body.error;
    throw new Error(e ? `${e.message}${e.hint ? ` — ${e.hint}` : ''}` : `login failed: HTTP ${res.status}`);
  }
  setCurrentUser(body.actor);
  return body.actor;
}

export async function logOut(): Promise<void> {
  await fetch('/api/v1/session', { method: 'DELETE' }).catch(() => undefined);
  setCurrentUser(undefined);
}

export function describeUser(a: ActorView): string {
  return `${a.name} · ${a.role}${a.environments ? ` on ${a.environments.join(', ')}` : ''}`;
}
