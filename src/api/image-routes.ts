// Images as versions over HTTP (runtime docker): POST records the image of a version
// by pulling it and keeping its digest, the counterpart of uploading an artifact directory.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../lib/log.ts';
import type { ControlPlane } from '../rollout/control.ts';
import type { ReleaseTriggers } from '../triggers/index.ts';
import { coreResponses } from './core-routes.ts';
import { json, type RouteDoc } from './route-doc.ts';
import { versionView } from './views.ts';

const versionParam = z.object({
  version: z.string().regex(/^[A-Za-z0-9._+-]{1,128}$/, 'letters, digits, . _ + - (at most 128)'),
});

export const recordImageSchema = z
  .object({
    image: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .meta({ description: 'Image reference (tag or @sha256:…); default run.image:<version>.' }),
    ref: z.string().max(256).optional(),
    commit: z.string().max(64).optional(),
  })
  .strict();

/** POST /api/v1/versions/:version/image → 201 (recorded) or 200 (the version already has this digest). */
export type RecordImageResponse = z.infer<typeof coreResponses.upload>;

export const imageRouteDocs: RouteDoc[] = [
  {
    method: 'POST',
    path: '/api/v1/versions/:version/image',
    operationId: 'recordImage',
    access: 'deployer',
    summary:
      'Runtime docker: pull the image of a version (--image REF, default run.image:<version>) and record its digest; every later release of the version runs that digest',
    tag: 'versions',
    body: recordImageSchema,
    responses: {
      201: json('RecordImageResponse (recorded)', coreResponses.upload),
      200: json('RecordImageResponse (the version already has this digest)', coreResponses.upload),
    },
    errors: {
      400: 'not an image reference, or no image and no run.image',
      409: 'the version exists with another digest, or is a directory',
      422: 'the pull failed (IMAGE_UNAVAILABLE names the image and the engine error) or the server runs processes',
    },
  },
];

export interface ImageRouteDeps {
  control: ControlPlane;
  triggers: Pick<ReleaseTriggers, 'versionUploaded'>;
  logger: Logger;
}

export function registerImageRoutes(app: FastifyInstance, deps: ImageRouteDeps): void {
  app.post<{ Params: { version: string } }>('/api/v1/versions/:version/image', async (req, reply) => {
    const { version } = versionParam.parse(req.params);
    const b = recordImageSchema.parse(req.body ?? {});
    const recorded = await deps.control.recordImage({
      version,
      ...(b.image !== undefined ? { image: b.image } : {}),
      gitRef: b.ref ?? null,
      gitCommit: b.commit ?? null,
    });
    const body: RecordImageResponse = { version: versionView(recorded.version), created: recorded.created };
    if (recorded.created) {
      deps.logger.info({ version, image: recorded.version.artifactRef }, 'image version recorded');
      // A push that waited for this version releases it now, as after an artifact upload.
      body.triggered = await deps.triggers.versionUploaded(recorded.version).catch((err: unknown) => {
        deps.logger.error({ err, version }, 'starting the push triggers of an image version failed');
        return [];
      });
    }
    return reply.code(recorded.created ? 201 : 200).send(body);
  });
}
