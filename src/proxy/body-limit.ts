// The body limit for bodies of unknown length (chunked): the request body goes to the backend
// through a counting iterable that stops before the chunk crossing the limit, so the backend never
// receives more than the limit. A declared Content-Length is checked before anything is sent
// (edge-refusals.ts), and Node's parser holds the client to it.
import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {
  readonly code = 'GANTRY_BODY_TOO_LARGE';
  readonly limit: number;
  constructor(limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
    this.limit = limit;
  }
}

export function isBodyTooLarge(err: unknown): err is BodyTooLargeError {
  return (err as { code?: unknown } | null)?.code === 'GANTRY_BODY_TOO_LARGE';
}

/** Whether the body must be counted while it streams (it has no declared length). */
export function needsCounting(req: IncomingMessage, maxBody: number): boolean {
  return maxBody >= 0 && req.headers['content-length'] === undefined;
}

/** The body of `req`, ending in a BodyTooLargeError instead of passing `limit` bytes. */
export async function* limitBody(req: IncomingMessage, limit: number): AsyncGenerator<Buffer> {
  let seen = 0;
  // Leaving the loop must not destroy the request: its socket still has to carry the 413.
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    seen += chunk.length;
    if (seen > limit) throw new BodyTooLargeError(limit);
    yield chunk;
  }
}
