// The JSON Schema of gantry.yaml, served by the running server: an editor can point a gantry.yaml's
// `$schema` modeline here when Gantry is not installed in the project (no node_modules/gantry), and
// it always matches the validator of the server that will load the file.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { renderJsonSchema, SCHEMA_URL_PATH } from '../config/index.ts';
import { json, type RouteDoc } from './route-doc.ts';

const CACHE = 'public, max-age=300';

export const schemaRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: SCHEMA_URL_PATH,
    operationId: 'getConfigSchema',
    // Editors fetch it with no token, and it holds nothing about this server's services.
    access: 'public',
    summary:
      "JSON Schema (draft 2020-12) of gantry.yaml, the same as the package's schema/gantry.schema.json",
    tag: 'meta',
    responses: {
      200: {
        ...json('A JSON Schema document', z.record(z.string(), z.unknown())),
        contentType: 'application/schema+json',
      },
    },
  },
];

export function registerSchemaRoutes(app: FastifyInstance): void {
  let text: string | undefined;
  app.get(SCHEMA_URL_PATH, async (_req, reply) => {
    text ??= renderJsonSchema();
    return reply.type('application/schema+json; charset=utf-8').header('cache-control', CACHE).send(text);
  });
}
