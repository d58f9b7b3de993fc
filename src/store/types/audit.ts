// The append-only, hash-chained audit log.

/** One entry of the append-only, hash-chained audit log. */
export interface AuditRecord {
  /** 1, 2, 3… without gaps. */
  seq: number;
  at: string;
  /** 'token' | 'webhook' | 'system' | 'anonymous' */
  actorKind: string;
  actorId: string;
  actorName: string;
  address: string | null;
  /** e.g. `POST /api/v1/releases`, `config.reload` */
  action: string;
  environment: string | null;
  release: string | null;
  /** Another resource the action concerns: a version, incident, silence, token, secret name… */
  target: string | null;
  /** HTTP status of the answer, when the action came through the API. */
  status: number | null;
  /** Short error code (`FORBIDDEN`, `RELEASE_IN_PROGRESS`) when the action failed. */
  error: string | null;
  /** Canonical JSON (sorted keys) of the action's details, without secrets. */
  details: string;
  /** Hash of the previous entry ('' for the first). */
  prevHash: string;
  /** SHA-256 over this entry's canonical JSON and prevHash. */
  hash: string;
}

export type NewAuditEntry = Omit<AuditRecord, 'seq' | 'at' | 'prevHash' | 'hash'>;

export interface AuditRepo {
  /**
   * Appends in one transaction: seq and prevHash follow the newest entry, `at` is now, and `seal`
   * computes the hash of the entry so built. There is no update and no delete.
   */
  append(e: NewAuditEntry, seal: (entry: Omit<AuditRecord, 'hash'>) => string): Promise<AuditRecord>;
  /** Newest first; `before`: only seq < before. */
  list(q: { limit: number; before?: number; environment?: string; action?: string }): Promise<AuditRecord[]>;
  /** Oldest first: entries with seq > after, at most limit (verification reads the log in pages). */
  scan(after: number, limit: number): Promise<AuditRecord[]>;
}
