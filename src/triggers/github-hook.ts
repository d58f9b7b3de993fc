// `POST /api/v1/hooks/github`: a delivery is acted on only when its signature verifies under
// triggers.github.secret and its delivery id is new. A forged or unsigned one is refused before
// anything is written; a replayed one is refused by the delivery table's key. A `push` whose ref
// matches a track rule becomes a release trigger (release-triggers.ts).
import { matchRef } from '../config/track.ts';
import type { LoadedConfig } from '../config/types.ts';
import { GantryError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { DeliveryOutcome, ReleaseTriggerRecord, Store } from '../store/types.ts';
import { readPushEvent } from './push-event.ts';
import type { ReleaseTriggers } from './release-triggers.ts';
import { resolveWebhookSecret, type SecretLookup } from './secret.ts';
import { checkGithubSignature } from './signature.ts';
import { versionForRef } from './version-name.ts';

export interface GithubDelivery {
  event: string | undefined;
  deliveryId: string | undefined;
  signature: string | undefined;
  contentType: string | undefined;
  body: Buffer;
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
  store: Store;
  triggers: ReleaseTriggers;
  /** The value of a secret by name, or undefined when it is not set. */
  secret: SecretLookup;
  logger: Logger;
}

const DELIVERY_ID = /^[A-Za-z0-9-]{1,100}$/;
const EVENT_NAME = /^[a-z_]{1,64}$/;

export async function handleGithubDelivery(deps: GithubHookDeps, d: GithubDelivery): Promise<HookResponse> {
  const secret = await resolveWebhookSecret(deps.config().config.triggers.github?.secret, deps.secret);
  const check = await checkGithubSignature(secret, d.body, d.signature);
  if (!check.ok) {
    deps.logger.warn(
      { delivery: safeId(d.deliveryId), event: safeEvent(d.event) },
      `refused a GitHub delivery: ${check.reason}`,
    );
    throw new GantryError('BAD_SIGNATURE', `refused: ${check.reason}; nothing was recorded`);
  }
  d.verified?.(safeId(d.deliveryId));
  if (!d.deliveryId || !DELIVERY_ID.test(d.deliveryId)) {
    throw new GantryError('BAD_REQUEST', 'the delivery has no valid X-GitHub-Delivery header (a GUID)');
  }
  if (!d.event || !EVENT_NAME.test(d.event)) {
    throw new GantryError('BAD_REQUEST', 'the delivery has no valid X-GitHub-Event header');
  }
  const delivery = d.deliveryId;
  const event = d.event;
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
    const first = await deps.store.triggers.getDelivery(delivery);
    throw new GantryError(
      'WEBHOOK_REPLAY',
      `delivery ${delivery} was received before (at ${first?.receivedAt ?? 'an earlier time'}); a delivery is acted on once`,
      { details: { delivery } },
    );
  }
  const res = await actOn(deps, delivery, event, d);
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
}

async function actOn(
  deps: GithubHookDeps,
  delivery: string,
  event: string,
  d: GithubDelivery,
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
  if (event !== 'push') return reply(202, 'ignored', `ignored: Gantry acts on push events, not ${event}`);

  const payload = parsePayload(d.body, d.contentType);
  if (payload === undefined) return reply(400, 'refused', 'the body is not a JSON push payload');
  const read = readPushEvent(payload);
  if ('error' in read) return reply(400, 'refused', read.error);
  const { push } = read;
  const pushed = { ref: push.ref, commit: push.commit };
  if (push.deleted) return reply(202, 'ignored', `ignored: ${push.ref} was deleted`, pushed);

  const { config } = deps.config();
  const match = matchRef(config, push.ref);
  if (!match) {
    return reply(202, 'ignored', `ignored: ${push.ref} matches no environment's track rule`, pushed);
  }
  const named = versionForRef(push.ref, push.commit);
  if (named.version === undefined) return reply(422, 'refused', `not released: ${named.error}`, pushed);
  const trigger = await deps.triggers.record({
    environment: match.environment,
    version: named.version,
    ref: push.ref,
    commit: push.commit,
    deliveryId: delivery,
    pusher: push.pusher,
  });
  const more = { ...pushed, environment: match.environment, version: named.version, trigger };
  switch (trigger.state) {
    case 'released':
      return reply(
        201,
        'released',
        `${push.ref} released ${named.version} to ${match.environment}: ${trigger.message}`,
        {
          ...more,
          ...(trigger.releaseId ? { releaseId: trigger.releaseId } : {}),
        },
      );
    case 'pending':
      return reply(
        202,
        'pending',
        `${named.version} for ${match.environment}: ${trigger.message}; the release starts when it is uploaded (until ${trigger.expiresAt})`,
        more,
      );
    default:
      return reply(422, 'refused', trigger.message, more);
  }
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
