// The audit log's hash chain: each entry's hash covers its own canonical JSON and the previous
// entry's hash, so changing, removing, inserting or reordering a stored entry breaks the chain at
// that point. Verification walks it in seq order and names the first entry that does not fit.
import { createHash } from 'node:crypto';
import type { AuditRecord } from '../store/types.ts';

/** JSON with object keys sorted at every level and no whitespace: one spelling per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The hash of an entry: SHA-256 over its canonical JSON (prevHash included) and prevHash. */
export function sealAuditEntry(e: Omit<AuditRecord, 'hash'>): string {
  const body = canonicalJson({
    seq: e.seq,
    at: e.at,
    actor: { kind: e.actorKind, id: e.actorId, name: e.actorName },
    address: e.address,
    action: e.action,
    target: { environment: e.environment, release: e.release, name: e.target },
    outcome: { status: e.status, error: e.error },
    details: e.details,
    prevHash: e.prevHash,
  });
  return createHash('sha256').update(body).update('\n').update(e.prevHash).digest('hex');
}

export interface ChainBreak {
  seq: number;
  reason: string;
}

export interface ChainVerification {
  ok: boolean;
  /** Entries checked (up to the first bad one). */
  checked: number;
  /** The newest good entry: record it elsewhere to detect later truncation of the log's end. */
  head: { seq: number; hash: string } | null;
  firstBad?: ChainBreak;
}

/** Checks entries fed in seq order; stops at the first that does not fit. */
export class ChainVerifier {
  #checked = 0;
  #head: { seq: number; hash: string } | null = null;
  #bad: ChainBreak | undefined;

  /** False once the chain is broken (no need to read further). */
  push(e: AuditRecord): boolean {
    if (this.#bad) return false;
    const expectedSeq = (this.#head?.seq ?? 0) + 1;
    const expectedPrev = this.#head?.hash ?? '';
    if (e.seq !== expectedSeq) {
      this.#bad = {
        seq: e.seq,
        reason: `expected entry ${expectedSeq} next, found ${e.seq}: entries ${expectedSeq}–${e.seq - 1} are missing`,
      };
    } else if (e.prevHash !== expectedPrev) {
      this.#bad = {
        seq: e.seq,
        reason:
          'its prev_hash is not the hash of the entry before it: an entry was removed, inserted or rewritten',
      };
    } else if (e.hash !== sealAuditEntry(e)) {
      this.#bad = { seq: e.seq, reason: 'its content does not match its hash: the entry was altered' };
    } else {
      this.#checked++;
      this.#head = { seq: e.seq, hash: e.hash };
      return true;
    }
    return false;
  }

  result(): ChainVerification {
    return {
      ok: this.#bad === undefined,
      checked: this.#checked,
      head: this.#head,
      ...(this.#bad ? { firstBad: this.#bad } : {}),
    };
  }
}
