// API tokens and dashboard sessions: create, list, revoke, and turn a presented secret into the
// Actor it stands for (or a reason why not). Secrets are hashed at once; only hashes are compared
// and stored.
import { type Clock, systemClock } from '../lib/clock.ts';
import { GantryError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import type { ApiTokenRecord, ApiTokenRepo } from '../store/types.ts';
import {
  generateSessionSecret,
  generateToken,
  isTokenShaped,
  sameHash,
  sha256Hex,
  tokenDisplayPrefix,
} from './token-format.ts';
import type { Actor, Role } from './types.ts';

/** How long a dashboard login lasts (never longer than its token). */
export const SESSION_TTL_MS = 12 * 3600_000;
/** last_used_at is written at most this often per token, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

export type AuthFailureReason = 'invalid' | 'expired' | 'session_ended';

export type AuthResult =
  | {
      ok: true;
      actor: Actor;
      token: ApiTokenRecord;
      /** When these credentials stop working (the token's expiry, or the session's), if ever. */
      endsAt: string | null;
      /** The session's hash, for a dashboard session. */
      session?: string;
    }
  | { ok: false; reason: AuthFailureReason; message: string };

/** Credentials that stopped working before their time: a revoked token, a closed session. */
export type EndedCredentials = { tokenId: string } | { session: string };

/** A token as the API shows it: never its hash, let alone the token. */
export type TokenView = Omit<ApiTokenRecord, 'hash'> & { state: 'active' | 'expired' | 'revoked' };

export interface NewToken {
  name: string;
  role: Role;
  environments?: string[] | null;
  expiresAt?: string | null;
  createdBy: string | null;
}

export class AuthService {
  readonly #tokens: ApiTokenRepo;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #sessionTtlMs: number;
  readonly #touched = new Map<string, number>();
  readonly #endListeners = new Set<(ended: EndedCredentials) => void>();

  constructor(opts: { tokens: ApiTokenRepo; clock?: Pick<Clock, 'now'>; sessionTtlMs?: number }) {
    this.#tokens = opts.tokens;
    this.#clock = opts.clock ?? systemClock;
    this.#sessionTtlMs = opts.sessionTtlMs ?? SESSION_TTL_MS;
  }

  /** Creates a token; the secret is in the answer and nowhere else, ever. */
  async createToken(t: NewToken): Promise<{ token: TokenView; secret: string }> {
    const secret = generateToken();
    const record = await this.#tokens.create({
      id: newId('tok'),
      name: t.name,
      prefix: tokenDisplayPrefix(secret),
      hash: sha256Hex(secret),
      role: t.role,
      environments: t.environments && t.environments.length > 0 ? [...new Set(t.environments)] : null,
      expiresAt: t.expiresAt ?? null,
      createdBy: t.createdBy,
    });
    return { token: this.view(record), secret };
  }

  async listTokens(): Promise<TokenView[]> {
    return (await this.#tokens.list()).map((t) => this.view(t));
  }

  async revokeToken(id: string): Promise<TokenView> {
    const record = await this.#tokens.revoke(id, this.#iso());
    if (!record) throw new GantryError('UNKNOWN_TOKEN', `no token ${id}`);
    this.#ended({ tokenId: id });
    return this.view(record);
  }

  /**
   * Tells `listener` of a token revoked or a session closed, so that what was opened with it and
   * is still open (a live stream) ends too. Returns the unsubscribe.
   */
  onCredentialsEnded(listener: (ended: EndedCredentials) => void): () => void {
    this.#endListeners.add(listener);
    return () => this.#endListeners.delete(listener);
  }

  /** Is there a token that can administer everything now (not revoked, not expired, no scope)? */
  async hasUsableAdmin(): Promise<boolean> {
    return (await this.#tokens.list()).some(
      (t) => t.role === 'admin' && t.environments === null && this.#state(t) === 'active',
    );
  }

  async authenticateToken(secret: string): Promise<AuthResult> {
    if (!isTokenShaped(secret)) {
      return {
        ok: false,
        reason: 'invalid',
        message: 'the credentials are not a Gantry token (one is `gantry_` and 43 more characters)',
      };
    }
    const record = await this.#find(secret);
    if (!record) return invalid();
    return this.#accept(record);
  }

  /** Exchanges a token for a session cookie value (the dashboard's login). */
  async openSession(
    secret: string,
  ): Promise<
    { ok: true; session: string; expiresAt: string; actor: Actor } | Extract<AuthResult, { ok: false }>
  > {
    const auth = await this.authenticateToken(secret);
    if (!auth.ok) return auth;
    const now = this.#clock.now();
    const ends = Math.min(
      now + this.#sessionTtlMs,
      auth.token.expiresAt ? Date.parse(auth.token.expiresAt) : now + this.#sessionTtlMs,
    );
    const session = generateSessionSecret();
    const expiresAt = new Date(ends).toISOString();
    await this.#tokens.pruneSessions(new Date(now).toISOString());
    await this.#tokens.createSession({
      hash: sha256Hex(session),
      tokenId: auth.token.id,
      createdAt: new Date(now).toISOString(),
      expiresAt,
    });
    return { ok: true, session, expiresAt, actor: auth.actor };
  }

  async authenticateSession(session: string): Promise<AuthResult> {
    const hash = sha256Hex(session);
    const found = await this.#tokens.findSession(hash);
    if (!found || !sameHash(found.hash, hash) || Date.parse(found.expiresAt) <= this.#clock.now()) {
      return {
        ok: false,
        reason: 'session_ended',
        message: 'your dashboard session has ended (it expired, was logged out or its token was revoked)',
      };
    }
    const record = await this.#tokens.get(found.tokenId);
    if (!record) return invalid();
    const accepted = this.#accept(record);
    if (!accepted.ok) return accepted;
    // A session never outlives its token (openSession bounds it), so its own end comes first.
    return { ...accepted, endsAt: found.expiresAt, session: hash };
  }

  async closeSession(session: string): Promise<void> {
    const hash = sha256Hex(session);
    await this.#tokens.deleteSession(hash);
    this.#ended({ session: hash });
  }

  view(t: ApiTokenRecord): TokenView {
    return {
      id: t.id,
      name: t.name,
      prefix: t.prefix,
      role: t.role,
      environments: t.environments,
      expiresAt: t.expiresAt,
      createdAt: t.createdAt,
      createdBy: t.createdBy,
      lastUsedAt: t.lastUsedAt,
      revokedAt: t.revokedAt,
      state: this.#state(t),
    };
  }

  async #find(secret: string): Promise<ApiTokenRecord | undefined> {
    const hash = sha256Hex(secret);
    // Looked up by the non-secret prefix, then compared by hash in constant time.
    const candidates = await this.#tokens.findByPrefix(tokenDisplayPrefix(secret));
    return candidates.find((c) => sameHash(c.hash, hash));
  }

  #accept(record: ApiTokenRecord): AuthResult {
    const state = this.#state(record);
    // A revoked token answers like an unknown one: whoever holds it learns nothing more.
    if (state === 'revoked') return invalid();
    if (state === 'expired') {
      return {
        ok: false,
        reason: 'expired',
        message: `the token ${record.prefix}… (${record.name}) expired at ${record.expiresAt}`,
      };
    }
    this.#touch(record.id);
    const actor: Actor = {
      kind: 'token',
      id: record.id,
      name: record.name,
      role: record.role,
      ...(record.environments ? { environments: record.environments } : {}),
    };
    return { ok: true, actor, token: record, endsAt: record.expiresAt };
  }

  #ended(ended: EndedCredentials): void {
    for (const listener of this.#endListeners) listener(ended);
  }

  #state(t: ApiTokenRecord): TokenView['state'] {
    if (t.revokedAt) return 'revoked';
    if (t.expiresAt && Date.parse(t.expiresAt) <= this.#clock.now()) return 'expired';
    return 'active';
  }

  #touch(id: string): void {
    const now = this.#clock.now();
    if (now - (this.#touched.get(id) ?? Number.NEGATIVE_INFINITY) < TOUCH_INTERVAL_MS) return;
    this.#touched.set(id, now);
    // Bookkeeping only: a failed write must not fail the request it belongs to.
    this.#tokens.touch(id, new Date(now).toISOString()).catch(() => this.#touched.delete(id));
  }

  #iso(): string {
    return new Date(this.#clock.now()).toISOString();
  }
}

function invalid(): Extract<AuthResult, { ok: false }> {
  return { ok: false, reason: 'invalid', message: 'the token is not valid (unknown or revoked)' };
}
