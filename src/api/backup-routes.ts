// Backups of Gantry's own data over HTTP (admin): take one now (the answer streams its progress as
// NDJSON and ends with the backup's name, size and checksum), list those the server holds, and
// download one by name.
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { BackupProgress } from '../backup/create.ts';
import type { BackupFile, BackupService } from '../backup/service.ts';
import { GantryError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { answerError } from './answer-error.ts';
import { errorBodySchema, isoTime, json, type RouteDoc, text } from './route-doc.ts';

export type { BackupFile, BackupProgress };

const backupProgressSchema = z
  .object({
    step: z
      .string()
      .meta({ description: "The table being written, or 'artifacts', or 'archive' while packing." }),
    rows: z.number(),
    done: z.number().meta({ description: 'Tables finished so far, of `tables`.' }),
    tables: z.number(),
  })
  .strict() satisfies z.ZodType<BackupProgress>;

const createdBackupSchema = z
  .object({
    name: z.string(),
    file: z.string().meta({ description: 'Where the server wrote it.' }),
    bytes: z.number(),
    sha256: z.string(),
    createdAt: isoTime,
    migration: z.string(),
    rows: z.record(z.string(), z.number()),
    artifactVersions: z.number(),
  })
  .strict();

/** The last line of POST /api/v1/backups when the backup was written. */
export type CreatedBackupView = z.infer<typeof createdBackupSchema>;

const backupStreamLineSchema = z.union([
  z.object({ progress: backupProgressSchema }).strict(),
  z.object({ backup: createdBackupSchema }).strict(),
  errorBodySchema,
]);

/** One line of POST /api/v1/backups (NDJSON): progress, then the backup or an error. */
export type BackupStreamLine = z.infer<typeof backupStreamLineSchema>;

const backupListSchema = z
  .object({
    dir: z.string(),
    backups: z.array(
      z
        .object({ name: z.string(), bytes: z.number(), createdAt: isoTime })
        .strict() satisfies z.ZodType<BackupFile>,
    ),
  })
  .strict();

/** GET /api/v1/backups */
export type BackupListResponse = z.infer<typeof backupListSchema>;

export const backupSchemas = {
  create: z
    .object({
      withArtifacts: z
        .boolean()
        .default(false)
        .meta({ description: 'Include the artifact directories of uploaded versions.' }),
    })
    .strict(),
  name: z.object({ name: z.string().min(1).max(100) }),
};

export const backupRouteDocs: RouteDoc[] = [
  {
    method: 'POST',
    path: '/api/v1/backups',
    operationId: 'createBackup',
    summary:
      "Back up Gantry's own data now, consistent while the server runs; streams NDJSON progress lines, then the backup written",
    tag: 'backups',
    access: 'admin',
    body: backupSchemas.create,
    responses: {
      200: {
        description: 'BackupStreamLine per line (NDJSON): progress, then the backup or an error',
        schema: backupStreamLineSchema,
        contentType: 'application/x-ndjson',
      },
    },
  },
  {
    method: 'GET',
    path: '/api/v1/backups',
    operationId: 'listBackups',
    summary: 'The backups in the server’s backups directory, newest first',
    tag: 'backups',
    access: 'admin',
    responses: { 200: json('BackupListResponse', backupListSchema) },
  },
  {
    method: 'GET',
    path: '/api/v1/backups/:name',
    operationId: 'downloadBackup',
    summary: 'Download a backup archive (application/x-tar)',
    tag: 'backups',
    access: 'admin',
    responses: { 200: text('the archive', 'application/x-tar') },
    errors: { 404: 'no such backup' },
  },
];

export function registerBackupRoutes(
  app: FastifyInstance,
  deps: { backups: BackupService; logger: Logger },
): void {
  app.post('/api/v1/backups', async (req, reply) => {
    let body: z.output<typeof backupSchemas.create>;
    try {
      body = backupSchemas.create.parse(req.body ?? {});
    } catch (err) {
      return answerError(reply, err);
    }
    const out = new PassThrough();
    const send = (line: BackupStreamLine) => out.write(`${JSON.stringify(line)}\n`);
    deps.backups
      .create({ withArtifacts: body.withArtifacts, onProgress: (progress) => send({ progress }) })
      .then((b) => {
        send({
          backup: {
            name: b.name,
            file: b.file,
            bytes: b.bytes,
            sha256: b.sha256,
            createdAt: b.manifest.createdAt,
            migration: b.manifest.migration,
            rows: Object.fromEntries(b.manifest.tables.map((t) => [t.name, t.rows])),
            artifactVersions: b.manifest.artifacts?.versions ?? 0,
          },
        });
      })
      .catch((err: unknown) => {
        deps.logger.error({ err }, 'a backup asked through the API failed');
        const e =
          err instanceof GantryError
            ? err
            : new GantryError(
                'INTERNAL',
                `the backup failed: ${err instanceof Error ? err.message : String(err)}`,
              );
        send(e.toJSON());
      })
      .finally(() => out.end());
    return reply.type('application/x-ndjson').send(out);
  });

  app.get('/api/v1/backups', async (_req, reply) => {
    const body: BackupListResponse = { dir: deps.backups.dir, backups: await deps.backups.list() };
    return reply.send(body);
  });

  app.get('/api/v1/backups/:name', async (req, reply) => {
    try {
      const { name } = backupSchemas.name.parse(req.params);
      const file = await deps.backups.pathOf(name);
      const size = (await deps.backups.list()).find((b) => b.name === name)?.bytes ?? 0;
      return reply
        .type('application/x-tar')
        .header('content-length', size)
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(createReadStream(file));
    } catch (err) {
      return answerError(reply, err);
    }
  });
}
