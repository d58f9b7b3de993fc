// How a route module answers a bad request or a Gantry error: 400 with every zod issue and its path,
// or the error's own status and body. Anything else is rethrown for the server's error handler.
import type { FastifyReply } from 'fastify';
import { ZodError } from 'zod';
import { GantryError } from '../lib/errors.ts';
import { storageFullError } from '../lib/storage-full.ts';

/** `subject` names what was invalid: 'request' (body and parameters) or 'query'. */
export function answerError(reply: FastifyReply, err: unknown, subject = 'request'): FastifyReply {
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => `${i.path.join('.') || subject}: ${i.message}`);
    const e = new GantryError('BAD_REQUEST', `invalid ${subject}: ${issues.join('; ')}`, {
      details: { issues },
    });
    return reply.code(e.status).send(e.toJSON());
  }
  // A full disk is said plainly, whatever error the layer that met it wrapped it in.
  if (storageFullError(err)) throw err;
  if (err instanceof GantryError) return reply.code(err.status).send(err.toJSON());
  throw err;
}
