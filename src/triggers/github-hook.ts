// `POST /api/v1/hooks/github`: a delivery is acted on only when its signature verifies under
// triggers.github.secret and its delivery id is new. A forged or unsigned one is refused before
// anything is written; a replayed one is refused by the delivery table's key. A `push` whose ref
// matches a track rule becomes a release trigger (release-triggers.ts).

import { DEFAULT_WEBHOOK_MAX_BODY } from '../config/defaults.ts';
import { matchRef, type RefMatch } from '../config/track.ts';
import type { LoadedConfig } from '../config/types.ts';
import { GantryError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { DeliveryOutcome, ReleaseTriggerRecord, Store } from '../store/types.ts';
import { type PushSummary, readPushEvent } from './push-event.ts';
import { type ReleaseTriggers, UNPROVEN_UPLOAD } from './release-triggers.ts';
import { resolveWebhookSecret, type SecretLookup } from './secret.ts';
import { checkSignatureHeader, readSignedBody } from './signature.ts';
import { SHORT_SHA_LENGTH, sameCommit, versionForRef } from './version-name.ts';

export interface GithubDelivery {
  event: string | undefined;
  deliveryId: string | undefined;
  signature: string | undefined;
  contentType: string | undefined;
  /** The raw body: read here (signature checked as it streams, up to triggers.github.max_body). */
  body: Buffer | AsyncIterable<Buffer | Uint8Array>;
  /** The request's Content-Length, when it sent one: a larger one than the limit is refused unread. */
  declaredBytes?: number | undefined;
  /** Told once the signature verifies, before anything else is checked or recorded. */
  verified?: (deliveryId: string | undefined) => void;
}

export interface HookResponse {
  status: number;
  body: {
    delivery: string;
    event: string;
    outcome: DeliveryOutcome;
    message: string;
    ref?: string;
    commit?: string;
    environment?: string;
    version?: string;
    trigger?: ReleaseTriggerRecord;
    releaseId?: string;
  };
}

export interface GithubHookDeps {
  config: () => LoadedConfig;
  store: Pick<Store, 'triggers' | 'versions'>;
  triggers: ReleaseTriggers;
  /** The value of a secret by name, or undefined when it is not set. */
  secret: SecretLookup;
  logger: Logger;
}

const DELIVERY_ID = /^[A-Za-z0-9-]{1,100}$/;
const EVENT_NAME = /^[a-z_]{1,64}$/;

export async function handleGithubDelivery(deps: GithubHookDeps, d: GithubDelivery): Promise<HookResponse> {
  const github = deps.config().config.triggers.github;
  const secret = await resolveWebhookSecret(github?.secret, deps.secret);
  const maxBytes = github?.max_body ?? DEFAULT_WEBHOOK_MAX_BODY;
  const refuse = (reason: string) => {
    deps.logger.warn(
      { delivery: safeId(d.deliveryId), event: safeEvent(d.event) },
      `refused a GitHub delivery: ${reason}`,
    );
  };
  const header = checkSignatureHeader(d.signature);
  if (!header.ok) {
    refuse(header.reason);
    throw new GantryError('BAD_SIGNATURE', `refused: ${header.reason}; nothing was recorded`);
  }
  if (d.declaredBytes !== undefined && d.declaredBytes > maxBytes) {
    refuse(`Content-Length ${d.declaredBytes} is above ${maxBytes}`);
    throw webhookTooLarge(maxBytes, d.declaredBytes);
  }
  const read = await readSignedBody(d.body, secret, d.signature, maxBytes);
  if (!read.ok) {
    refuse(read.reason);
    if (read.tooLarge) throw webhookTooLarge(maxBytes, read.tooLarge.atLeast);
    throw new GantryError('BAD_SIGNATURE', `refused: ${read.reason}; nothing was recorded`);
  }
  const body = read.body;
  d.verified?.(safeId(d.deliveryId));
  if (!d.deliveryId || !DELIVERY_ID.test(d.deliveryId)) {
    throw new GantryError('BAD_REQUEST', 'the delivery has no valid X-GitHub-Delivery header (a GUID)');
  }
  if (!d.event || !EVENT_NAME.test(d.event)) {
    throw new GantryError('BAD_REQUEST', 'the delivery has no valid X-GitHub-Event header');
  }
  const delivery = d.deliveryId;
  const event = d.event;
  const push = event === 'push' ? readPush(deps, body, d.contentType) : undefined;
  // One verified delivery at a time: the replay checks and the records they rely on must not interleave.
  return serially(deps.store, async () => {
    await refuseReplay(deps, delivery, push);
    const recorded = await deps.store.triggers.recordDelivery({
      id: delivery,
      source: 'github',
      event,
      outcome: 'received',
      message: 'received',
      ref: null,
      commit: null,
      triggerId: null,
      releaseId: null,
    });
    if (!recorded) {
      // Recorded meanwhile by another server on the same database.
      await refuseReplay(deps, delivery, undefined);
      throw new GantryError('WEBHOOK_REPLAY', `delivery ${delivery} was received before`);
    }
    const res = await actOn(deps, delivery, event, push);
    await deps.store.triggers.finishDelivery(delivery, {
      outcome: res.body.outcome,
      message: res.body.message,
      ref: res.body.ref ?? null,
      commit: res.body.commit ?? null,
      triggerId: res.body.trigger?.id ?? null,
      releaseId: res.body.releaseId ?? null,
    });
    deps.logger.info(
      {
        delivery,
        event,
        outcome: res.body.outcome,
        environment: res.body.environment,
        version: res.body.version,
      },
      `GitHub delivery: ${res.body.message}`,
    );
    return res;
  });
}

/** A push payload as read: what it pushed, and where a track rule sends it. */
type ReadPush =
  | { error: string }
  | { push: PushSummary; match?: RefMatch | undefined; version?: string; versionError?: string };

function readPush(deps: GithubHookDeps, body: Buffer, contentType: string | undefined): ReadPush {
  const payload = parsePayload(body, contentType);
  if (payload === undefined) return { error: 'the body is not a JSON push payload' };
  const read = readPushEvent(payload);
  if ('error' in read) return read;
  const { push } = read;
  if (push.deleted) return { push };
  const match = matchRef(deps.config().config, push.ref);
  if (!match) return { push };
  const named = versionForRef(push.ref, push.commit);
  return named.version === undefined
    ? { push, match, versionError: named.error }
    : { push, match, version: named.version };
}

/**
 * A delivery id seen before is a replay; so is a push of a tracked ref to a commit that already
 * made a trigger under another delivery id. GitHub signs the body, not the headers, so anyone who
 * saw a delivery could send it again with a fresh id and release its (by now old) version again.
 */
async function refuseReplay(deps: GithubHookDeps, delivery: string, read: ReadPush | undefined) {
  const first = await deps.store.triggers.getDelivery(delivery);
  if (first) {
    throw new GantryError(
      'WEBHOOK_REPLAY',
      `delivery ${delivery} was received before (at ${first.receivedAt}); a delivery is acted on once`,
      { details: { delivery } },
    );
  }
  if (!read || !('push' in read) || !read.match || read.version === undefined) return;
  const { push, match, version } = read;
  const earlier = (
    await deps.store.triggers.listTriggers({
      service: deps.config().config.service,
      environment: match.environment,
      version,
      limit: 500,
    })
  ).find((t) => t.ref === push.ref && sameCommit(t.commit, push.commit));
  if (earlier) {
    throw new GantryError(
      'WEBHOOK_REPLAY',
      `the push of ${push.ref} at ${push.commit.slice(0, SHORT_SHA_LENGTH)} was received before as delivery ${earlier.deliveryId} (at ${earlier.createdAt}, now ${earlier.state}); the same push under another delivery id is not acted on again`,
      {
        details: { delivery, firstDelivery: earlier.deliveryId, trigger: earlier.id },
        hint: `To release ${version} to ${match.environment} again, run \`gantry release ${match.environment} ${version}\`.`,
      },
    );
  }
}

async function actOn(
  deps: GithubHookDeps,
  delivery: string,
  event: string,
  read: ReadPush | undefined,
): Promise<HookResponse> {
  const reply = (
    status: number,
    outcome: DeliveryOutcome,
    message: string,
    more: Partial<HookResponse['body']> = {},
  ) => ({
    status,
    body: { delivery, event, outcome, message, ...more },
  });
  if (event === 'ping')
    return reply(200, 'pong', 'pong: the webhook reaches Gantry and its signature verifies');
  if (event !== 'push' || !read)
    return reply(202, 'ignored', `ignored: Gantry acts on push events, not ${event}`);

  if ('error' in read) return reply(400, 'refused', read.error);
  const { push, match } = read;
  const pushed = { ref: push.ref, commit: push.commit };
  if (push.deleted) return reply(202, 'ignored', `ignored: ${push.ref} was deleted`, pushed);
  if (!match) {
    return reply(202, 'ignored', `ignored: ${push.ref} matches no environment's track rule`, pushed);
  }
  if (read.version === undefined) return reply(422, 'refused', `not released: ${read.versionError}`, pushed);
  const version = read.version;
  if (push.committedAt !== null) {
    await deps.store.versions.recordCommitTime(deps.config().config.service, push.commit, push.committedAt);
  }
  const trigger = await deps.triggers.record({
    environment: match.environment,
    version,
    ref: push.ref,
    commit: push.commit,
    deliveryId: delivery,
    pusher: push.pusher,
  });
  const more = { ...pushed, environment: match.environment, version, trigger };
  switch (trigger.state) {
    case 'released':
      return reply(
        201,
        'released',
        `${push.ref} released ${version} to ${match.environment}: ${trigger.message}`,
        {
          ...more,
          ...(trigger.releaseId ? { releaseId: trigger.releaseId } : {}),
        },
      );
    case 'pending': {
      const until = trigger.message.startsWith(UNPROVEN_UPLOAD)
        ? `not released; the trigger waits until ${trigger.expiresAt} or a newer push`
        : `the release starts when it is uploaded (until ${trigger.expiresAt})`;
      return reply(202, 'pending', `${version} for ${match.environment}: ${trigger.message}; ${until}`, more);
    }
    default:
      return reply(422, 'refused', trigger.message, more);
  }
}

function webhookTooLarge(maxBytes: number, bytes: number): GantryError {
  return new GantryError(
    'WEBHOOK_TOO_LARGE',
    `refused: the delivery is larger than triggers.github.max_body (${maxBytes} bytes; at least ${bytes} sent); nothing was recorded`,
    { details: { maxBytes } },
  );
}

const queues = new WeakMap<object, Promise<unknown>>();

function serially<T>(key: object, fn: () => Promise<T>): Promise<T> {
  const run = (queues.get(key) ?? Promise.resolve()).then(fn, fn);
  queues.set(
    key,
    run.catch(() => {}),
  );
  return run;
}

/** GitHub sends JSON, or `payload=<JSON>` form-encoded when the hook's content type says so. */
function parsePayload(body: Buffer, contentType: string | undefined): unknown {
  try {
    const text = body.toString('utf8');
    if (contentType?.startsWith('application/x-www-form-urlencoded')) {
      const payload = new URLSearchParams(text).get('payload');
      return payload === null ? undefined : JSON.parse(payload);
    }
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// Header values from an unverified request go into the log only when they look like what GitHub sends.
function safeId(id: string | undefined): string | undefined {
  return id && DELIVERY_ID.test(id) ? id : undefined;
}

function safeEvent(event: string | undefined): string | undefined {
  return event && EVENT_NAME.test(event) ? event : undefined;
}
