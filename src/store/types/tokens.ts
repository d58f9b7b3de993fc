// API tokens (stored hashed) and dashboard sessions.

/** An API token: only its SHA-256 is stored; the token itself is shown once at creation. */
export interface ApiTokenRecord {
  id: string; // tok_…
  name: string;
  /** The token's first characters (`gantry_AbCdEfGh`): enough to recognise it, not enough to use it. */
  prefix: string;
  /** SHA-256 (hex) of the whole token. */
  hash: string;
  role: 'viewer' | 'deployer' | 'admin';
  /** Environments the role applies to; null means every environment. */
  environments: string[] | null;
  expiresAt: string | null;
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** A dashboard session: a cookie standing for a token, stored by the SHA-256 of its value. */
export interface AuthSessionRecord {
  hash: string;
  tokenId: string;
  createdAt: string;
  expiresAt: string;
}

export interface ApiTokenRepo {
  create(t: Omit<ApiTokenRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiTokenRecord>;
  get(id: string): Promise<ApiTokenRecord | undefined>;
  /** Tokens whose display prefix is `prefix` (one, unless two random prefixes collide). */
  findByPrefix(prefix: string): Promise<ApiTokenRecord[]>;
  /** Newest first. */
  list(): Promise<ApiTokenRecord[]>;
  touch(id: string, at: string): Promise<void>;
  /** Sets revokedAt (once) and ends the token's sessions; undefined when no such token. */
  revoke(id: string, at: string): Promise<ApiTokenRecord | undefined>;
  createSession(s: AuthSessionRecord): Promise<void>;
  findSession(hash: string): Promise<AuthSessionRecord | undefined>;
  deleteSession(hash: string): Promise<void>;
  /** Deletes sessions that expired before `before` (ISO-8601); returns how many. */
  pruneSessions(before: string): Promise<number>;
}
