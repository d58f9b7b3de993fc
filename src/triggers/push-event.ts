// What Gantry reads from a GitHub `push` payload. GitHub sends one push event per ref: a push of
// a branch and a tag is two deliveries, and a push of more than three tags at once sends no
// event for the tags at all (GitHub's "Webhook events and payloads", push).
import { z } from 'zod';

export interface PushSummary {
  /** The full ref, `refs/heads/main` or `refs/tags/v1.2.3`. */
  ref: string;
  /** The commit the ref points to after the push (for an annotated tag: the tagged commit). */
  commit: string;
  /** When that commit was made (head_commit.timestamp, ISO-8601), for DORA's lead time. */
  committedAt: string | null;
  /** The ref was deleted: nothing to release. */
  deleted: boolean;
  pusher: string | null;
  repository: string | null;
}

const ZERO_SHA = /^0+$/;

const pushSchema = z.object({
  ref: z.string().min(1).max(512),
  after: z.string().max(64),
  deleted: z.boolean().optional(),
  head_commit: z.object({ id: z.string().max(64), timestamp: z.string().max(64).optional() }).nullish(),
  pusher: z.object({ name: z.string().max(256).optional() }).nullish(),
  repository: z.object({ full_name: z.string().max(512).optional() }).nullish(),
});

/** The parts of a push payload Gantry uses, or a message saying what is missing. */
export function readPushEvent(payload: unknown): { push: PushSummary } | { error: string } {
  const parsed = pushSchema.safeParse(payload);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`);
    return { error: `not a GitHub push payload (${issues.join('; ')})` };
  }
  const p = parsed.data;
  // `after` is the tag object for an annotated tag; head_commit is the commit it points to, which
  // is what CI checks out and builds (GITHUB_SHA).
  const commit = (p.head_commit?.id ?? p.after).toLowerCase();
  const stamp = Date.parse(p.head_commit?.timestamp ?? '');
  return {
    push: {
      ref: p.ref,
      commit,
      committedAt: Number.isNaN(stamp) ? null : new Date(stamp).toISOString(),
      deleted: p.deleted === true || ZERO_SHA.test(p.after),
      pusher: p.pusher?.name ?? null,
      repository: p.repository?.full_name ?? null,
    },
  };
}
