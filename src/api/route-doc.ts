// What a route module says about each of its routes: method, path, who may call it, the operationId
// a generated client names it by, and the zod schemas of its request and of every answer. The
// handlers parse with the same request schemas and type their answers from the response schemas
// (z.infer), so the OpenAPI document built from these entries cannot drift from what they do.
// A leaf: route modules import it, and it imports no route module.
import { z } from 'zod';
import type { Access } from '../auth/types.ts';

/** An answer and the schema of its body, JSON unless `contentType` says otherwise. */
export interface RouteAnswer {
  description: string;
  schema: z.ZodType;
  contentType?: string;
}

export interface RouteDoc {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string; // fastify syntax, /api/v1/releases/:id
  /** Unique and stable, camelCase: what a generated client calls the operation. */
  operationId: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodType;
  bodyContentType?: string;
  /** Answers by status whose body has its own schema: every success, and errors answered otherwise. */
  responses: Record<number, RouteAnswer>;
  /** Error answers by status, and when they happen; each has the body of `errorBodySchema`. */
  errors?: Record<number, string>;
  sse?: boolean;
  /**
   * Who may call it: 'public' (no token), a role (viewer < deployer < admin), or 'webhook' (no
   * token; the handler checks the sender's signature). Default: GET viewer, anything else deployer.
   */
  access?: Access;
}

/** Every 4xx and 5xx body (GantryError.toJSON). */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().meta({ description: 'Stable machine code, e.g. UNKNOWN_ENVIRONMENT' }),
    message: z.string(),
    hint: z.string().optional().meta({ description: 'What to do about it' }),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** A JSON answer. */
export function json(description: string, schema: z.ZodType): RouteAnswer {
  return { description, schema };
}

/** An answer that is text (HTML, Markdown, the Prometheus exposition, an event stream). */
export function text(description: string, contentType: string): RouteAnswer {
  return { description, schema: z.string(), contentType };
}

/** An ISO-8601 time as the API writes it. */
export const isoTime = z.string().meta({ format: 'date-time' });
