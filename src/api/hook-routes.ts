// POST /api/v1/hooks/github (the GitHub push webhook, authenticated by its signature rather than a
// token) and GET /api/v1/triggers (recent deliveries and the release triggers they recorded).
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../auth/types.ts';
import type { Store } from '../store/types.ts';
import {
  GITHUB_ACTOR_NAME,
  type GithubHookDeps,
  type HookResponse,
  handleGithubDelivery,
} from '../triggers/index.ts';
import { releaseTriggerSchema, webhookDeliverySchema } from './record-schemas.ts';
import { errorBodySchema, json, type RouteDoc } from './route-doc.ts';

function githubActor(delivery: string | undefined, address: string): Actor {
  return {
    kind: 'webhook',
    id: `github:${delivery ?? 'unknown'}`,
    name: GITHUB_ACTOR_NAME,
    role: 'deployer',
    address,
  };
}

export const triggerListResponse = z.object({
  triggers: z.array(releaseTriggerSchema).meta({ description: 'Newest first.' }),
  deliveries: z
    .array(webhookDeliverySchema)
    .meta({ description: 'Verified deliveries, newest first (forged ones are never recorded).' }),
});
export type TriggerListResponse = z.infer<typeof triggerListResponse>;

/** What a delivery of the GitHub webhook is answered: its outcome, and what it started or recorded. */
const deliveryAnswer = z.object({
  delivery: z.string(),
  event: z.string(),
  outcome: z.enum(['received', 'pong', 'ignored', 'released', 'pending', 'refused']),
  message: z.string(),
  ref: z.string().optional(),
  commit: z.string().optional(),
  environment: z.string().optional(),
  version: z.string().optional(),
  trigger: releaseTriggerSchema.optional(),
  releaseId: z.string().optional(),
}) satisfies z.ZodType<HookResponse['body']>;
/** A refusal after the signature verified is a delivery answer; one before it, an error. */
const refusal = z.union([deliveryAnswer, errorBodySchema]);

export const hookSchemas = {
  triggers: z
    .object({
      environment: z.string().min(1).max(64).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(50),
    })
    .strict(),
};

export const hookRouteDocs: RouteDoc[] = [
  {
    method: 'POST',
    path: '/api/v1/hooks/github',
    operationId: 'receiveGithubWebhook',
    summary:
      'GitHub webhook (push events): verified by X-Hub-Signature-256 over the raw body with triggers.github.secret, each X-GitHub-Delivery acted on once; a push whose ref matches a track rule releases its version (a tag: its name; a branch: the first 12 digits of the commit) now, or when CI uploads it',
    tag: 'triggers',
    access: 'webhook',
    bodyContentType: 'application/json',
    responses: {
      200: json('ping answered', deliveryAnswer),
      201: json('release started', deliveryAnswer),
      202: json(
        'recorded: waiting for the version to be uploaded, or ignored (other event, deleted ref, no track rule)',
        deliveryAnswer,
      ),
      400: json('missing X-GitHub-Delivery / X-GitHub-Event, or not a push payload', refusal),
      422: json('release refused (commit mismatch, requirement not met…)', refusal),
    },
    errors: {
      401: 'missing or wrong signature (a missing or malformed header is refused before the body is read); nothing recorded',
      413: 'the body is larger than triggers.github.max_body (5MB by default); nothing recorded',
      404: 'no triggers.github in gantry.yaml',
      409: 'replay: the delivery id was received before, or the same push (ref and commit) made a trigger under another delivery id; nothing changed',
      503: 'the secret triggers.github.secret refers to is not set',
    },
  },
  {
    method: 'GET',
    path: '/api/v1/triggers',
    operationId: 'listTriggers',
    summary: 'Release triggers recorded by GitHub pushes, and the verified webhook deliveries, newest first',
    tag: 'triggers',
    access: 'viewer',
    query: hookSchemas.triggers,
    responses: { 200: json('TriggerListResponse', triggerListResponse) },
  },
];

function isReadable(body: unknown): body is Readable {
  return typeof (body as Readable | undefined)?.pipe === 'function';
}

function declaredLength(header: string | undefined): number | undefined {
  const n = Number(header);
  return header !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

export function registerHookRoutes(app: FastifyInstance, deps: GithubHookDeps & { store: Store }): void {
  // Only this route sees its body as raw bytes: the signature is over exactly what GitHub sent.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // The body stays a stream: handleGithubDelivery checks the signature header before reading it
    // and the HMAC as it streams, up to triggers.github.max_body.
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    scope.post('/api/v1/hooks/github', async (req, reply) => {
      const header = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const res = await handleGithubDelivery(deps, {
        event: header('x-github-event'),
        deliveryId: header('x-github-delivery'),
        signature: header('x-hub-signature-256'),
        contentType: header('content-type'),
        // Refused past the limit, the rest is read into nothing (onError) so GitHub reads the 413.
        body: (isReadable(req.body) ? req.body : req.raw).iterator({ destroyOnReturn: false }),
        declaredBytes: declaredLength(req.headers['content-length']),
        // From here on the request is GitHub's, for the audit log.
        verified: (delivery) => {
          req.actor = githubActor(delivery, req.ip);
        },
      });
      return reply.code(res.status).send(res.body);
    });
  });

  app.get('/api/v1/triggers', async (req): Promise<TriggerListResponse> => {
    const q = hookSchemas.triggers.parse(req.query ?? {});
    const service = deps.config().config.service;
    return {
      triggers: await deps.store.triggers.listTriggers({
        service,
        limit: q.limit,
        ...(q.environment ? { environment: q.environment } : {}),
      }),
      deliveries: await deps.store.triggers.listDeliveries(q.limit),
    };
  });
}
