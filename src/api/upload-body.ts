// An upload refused half-way (too large, damaged, wrong checksum) leaves the rest of its body
// unread. Node then neither reads nor drops it, so a client still sending blocks on a full TCP
// window and never sees the answer. Reading the rest into nothing (up to a bound) and closing the
// connection after the answer lets every client read the 413/422. An upload refused for the
// Content-Length it announced is answered at once, before its body is read, and the connection is
// left open while what the client already sent is dropped (same bound): closing it at once made
// the kernel reset a connection with unread bytes, and a client under load could lose the answer
// with it. A client reading the early answer stops sending and closes (undici and curl do).
import type { IncomingMessage } from 'node:http';
import type { FastifyReply } from 'fastify';
import { GantryError } from '../lib/errors.ts';

/** Bytes read and dropped after a refusal before the connection is cut instead. */
export const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;
const DISCARD_TIMEOUT_MS = 30_000;

/**
 * Resolves once the body has been read to its end (or cut off past the bound): fastify awaits an
 * onError hook before it answers, and a client that is still sending when the answer and the
 * close come gets EPIPE instead of the answer.
 */
export function discardUnreadBody(raw: IncomingMessage, reply: FastifyReply, err?: unknown): Promise<void> {
  if (raw.complete || raw.destroyed) return Promise.resolve();
  if (refusedUnread(err)) {
    void dropRest(raw);
    return Promise.resolve();
  }
  reply.header('connection', 'close');
  return dropRest(raw);
}

/** Reads the rest of the body into nothing; past the bound (bytes or time) cuts the connection. */
function dropRest(raw: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    let dropped = 0;
    const timer = setTimeout(() => raw.destroy(), DISCARD_TIMEOUT_MS);
    timer.unref();
    raw.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > DISCARD_LIMIT_BYTES) raw.destroy();
    });
    raw.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
    raw.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    raw.resume();
  });
}

/** A refusal decided from the headers alone (the body was never read). */
function refusedUnread(err: unknown): boolean {
  return (
    err instanceof GantryError && err.code === 'ARTIFACT_TOO_LARGE' && err.details?.declared !== undefined
  );
}
