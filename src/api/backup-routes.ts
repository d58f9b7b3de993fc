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
import type { RouteDoc } from './route-table.ts';

export type { BackupFile, BackupProgress };

/** The last line of POST /api/v1/backups when the backup was written. */
export interface CreatedBackupView {
  name: string;
  /** Where the server wrote it. */
  file: string;
  bytes: number;
  sha256: string;
  createdAt: string;
  migration: string;
  rows: Record<string, number>;
  artifactVersions: number;
}

/** One line of POST /api/v1/backups (NDJSON): progress, then the backup or an error. */
export type BackupStreamLine =
  | { progress: BackupProgress }
  | { backup: CreatedBackupView }
  | { error: { code: string; message: string; hint?: string } };

/** GET /api/v1/backups */
export interface BackupListResponse {
  dir: string;
  backups: BackupFile[];
}

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
    summary:
      "Back up Gantry's own data now, consistent while the server runs; streams NDJSON progress lines, then the backup written",
    tag: 'backups',
    access: 'admin',
    body: backupSchemas.create,
    responses: { 200: 'BackupStreamLine (NDJSON)', 400: 'bad body' },
  },
  {
    method: 'GET',
    path: '/api/v1/backups',
    summary: 'The backups in the server’s backups directory, newest first',
    tag: 'backups',
    access: 'admin',
    responses: { 200: 'BackupListResponse' },
  },
  {
    method: 'GET',
    path: '/api/v1/backups/:name',
    summary: 'Download a backup archive (application/x-tar)',
    tag: 'backups',
    access: 'admin',
    responses: { 200: 'the archive', 404: 'no such backup' },
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
