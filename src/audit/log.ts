// The audit service (issue 6): every mutation, who did it, from where, to what and with
// which outcome, appended to a hash-chained log. The API records its own requests through a hook;
// other modules record what does not come through an API request (a config reload by SIGHUP, a
// release started by a webhook, an offline secret rotation) with `record`.
import type { AuditRecord, AuditRepo } from '../store/types.ts';
import { type ChainVerification, ChainVerifier, canonicalJson, sealAuditEntry } from './chain.ts';
import { sanitizeDetails } from './details.ts';

export interface AuditActor {
  /** 'token' | 'webhook' | 'system' | 'anonymous' */
  kind: string;
  id: string;
  name: string;
  address?: string | undefined;
}

export interface AuditEvent {
  actor: AuditActor;
  /** `POST /api/v1/releases` for API requests; a dotted name otherwise (`config.reload`). */
  action: string;
  environment?: string | null;
  release?: string | null;
  /** Another resource concerned: a version, incident, silence, token id, secret name… */
  target?: string | null;
  /** HTTP status, for API requests. */
  status?: number | null;
  /** Short error code when the action failed. */
  error?: string | null;
  /** More context, JSON; secret-looking keys are redacted, sizes bounded. Never pass secret values. */
  details?: Record<string, unknown>;
  /** Defaults to actor.address. */
  address?: string | null;
}

/** An entry as the API and the CLI show it. */
export interface AuditEntryView {
  seq: number;
  at: string;
  actor: { kind: string; id: string; name: string };
  address: string | null;
  action: string;
  target: { environment: string | null; release: string | null; name: string | null };
  outcome: { status: number | null; error: string | null };
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export const ANONYMOUS: AuditActor = { kind: 'anonymous', id: '-', name: 'anonymous' };
const VERIFY_PAGE = 1000;

export class AuditLog {
  readonly #repo: AuditRepo;

  constructor(opts: { repo: AuditRepo }) {
    this.#repo = opts.repo;
  }

  record(e: AuditEvent): Promise<AuditRecord> {
    return this.#repo.append(
      {
        actorKind: e.actor.kind,
        actorId: e.actor.id,
        actorName: e.actor.name,
        address: e.address ?? e.actor.address ?? null,
        action: e.action,
        environment: e.environment ?? null,
        release: e.release ?? null,
        target: e.target ?? null,
        status: e.status ?? null,
        error: e.error ?? null,
        details: canonicalJson(sanitizeDetails(e.details ?? {})),
      },
      sealAuditEntry,
    );
  }

  /**
   * Runs `action` and records it with its outcome: the details `detailsOf` draws from its result,
   * or the error's code and message. The action's own result or error is passed on unchanged.
   */
  async track<T>(
    e: Omit<AuditEvent, 'status' | 'error'>,
    action: () => Promise<T>,
    detailsOf?: (result: T) => Record<string, unknown>,
  ): Promise<T> {
    let result: T;
    try {
      result = await action();
    } catch (err) {
      const failure = err as { code?: unknown; message?: unknown };
      await this.record({
        ...e,
        error: typeof failure.code === 'string' ? failure.code : 'ERROR',
        details: { ...e.details, message: String(failure.message ?? err) },
      });
      throw err;
    }
    await this.record({ ...e, details: { ...e.details, ...detailsOf?.(result) } });
    return result;
  }

  /** Newest first. */
  async list(q: {
    limit: number;
    before?: number;
    environment?: string;
    action?: string;
  }): Promise<AuditEntryView[]> {
    return (await this.#repo.list(q)).map(auditView);
  }

  /** Walks the whole chain from the first entry; names the first entry that does not fit. */
  async verify(): Promise<ChainVerification> {
    const verifier = new ChainVerifier();
    let after = 0;
    for (;;) {
      const page = await this.#repo.scan(after, VERIFY_PAGE);
      for (const e of page) if (!verifier.push(e)) return verifier.result();
      if (page.length < VERIFY_PAGE) return verifier.result();
      after = page[page.length - 1]?.seq ?? after;
    }
  }
}

export function auditView(r: AuditRecord): AuditEntryView {
  let details: Record<string, unknown>;
  try {
    details = JSON.parse(r.details) as Record<string, unknown>;
  } catch {
    details = { unparsable: r.details };
  }
  return {
    seq: r.seq,
    at: r.at,
    actor: { kind: r.actorKind, id: r.actorId, name: r.actorName },
    address: r.address,
    action: r.action,
    target: { environment: r.environment, release: r.release, name: r.target },
    outcome: { status: r.status, error: r.error },
    details,
    prevHash: r.prevHash,
    hash: r.hash,
  };
}
