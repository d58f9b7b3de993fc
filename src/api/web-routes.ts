// The dashboard's built files (web/dist) served at `/`: hashed assets cached for a year, index.html
// never cached, and every other non-API, non-file path answered with index.html so that the
// dashboard's own routes (/environments/production, /releases/rel_…) survive a reload.
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { GantryError } from '../lib/errors.ts';
import { PACKAGE_ROOT } from '../lib/package-root.ts';
import { type RouteDoc, text } from './route-doc.ts';

export interface WebRouteOptions {
  /** Directory holding the built dashboard (index.html and assets/). */
  distDir?: string;
}

/** Where `npm install` (its `dependencies` script → vite build) puts the dashboard. */
export const DEFAULT_WEB_DIST = path.join(PACKAGE_ROOT, 'web/dist');

const IMMUTABLE = 'public, max-age=31536000, immutable';
const NO_CACHE = 'no-cache';
const SHORT_CACHE = 'public, max-age=300';
/** Paths the dashboard never owns: an unknown one there is an API 404, not the dashboard. */
const NOT_DASHBOARD = /^\/(api|metrics|health|readiness)(\/|$)/;

const page = text('index.html', 'text/html');
const file = text('The file', 'application/octet-stream');

export const webRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/',
    operationId: 'getDashboard',
    access: 'public',
    summary: 'The dashboard (index.html)',
    tag: 'dashboard',
    responses: { 200: page },
    errors: { 503: 'dashboard not built' },
  },
  {
    method: 'GET',
    path: '/assets/*',
    operationId: 'getDashboardAsset',
    access: 'public',
    summary: "The dashboard's hashed scripts and styles (cached for a year)",
    tag: 'dashboard',
    responses: { 200: file },
    errors: { 404: 'no such file' },
  },
  {
    method: 'GET',
    path: '/*',
    operationId: 'getDashboardPage',
    access: 'public',
    summary: "The dashboard's pages (index.html) and its other static files",
    tag: 'dashboard',
    responses: { 200: { ...page, description: 'index.html, or the static file named' } },
    errors: { 404: 'unknown API route or file', 503: 'dashboard not built' },
  },
];

export async function registerWebRoutes(app: FastifyInstance, opts: WebRouteOptions = {}): Promise<void> {
  const root = path.resolve(opts.distDir ?? DEFAULT_WEB_DIST);
  const built = existsSync(path.join(root, 'index.html'));
  await app.register(fastifyStatic, { root, serve: false });

  const sendIndex = (reply: FastifyReply) => {
    if (!built) {
      return reply.code(503).send({
        error: {
          code: 'DASHBOARD_NOT_BUILT',
          message: `the dashboard is not built: no index.html in ${root}`,
          hint: 'Run `npm run build:web` (npm install runs it through the prepare script), then reload.',
        },
      });
    }
    return reply.header('cache-control', NO_CACHE).sendFile('index.html', root, { cacheControl: false });
  };
  const notFound = (reply: FastifyReply, method: string, url: string) => {
    const err = new GantryError('NOT_FOUND', `no route ${method} ${url}`, {
      hint: 'See /api/v1/openapi.json.',
    });
    return reply.code(err.status).send(err.toJSON());
  };

  app.get('/', async (_req, reply) => sendIndex(reply));

  app.get<{ Params: { '*': string } }>('/assets/*', async (req, reply) => {
    const file = safeRelative(`assets/${req.params['*']}`);
    if (!file || !existsSync(path.join(root, file)))
      return notFound(reply, 'GET', req.url.split('?')[0] ?? '');
    return reply.header('cache-control', IMMUTABLE).sendFile(file, root, { cacheControl: false });
  });

  app.get<{ Params: { '*': string } }>('/*', async (req, reply) => {
    const pathname = req.url.split('?')[0] ?? '/';
    if (NOT_DASHBOARD.test(pathname)) return notFound(reply, 'GET', pathname);
    const rel = req.params['*'];
    if (path.extname(rel) !== '') {
      const file = safeRelative(rel);
      if (!file || !existsSync(path.join(root, file))) return notFound(reply, 'GET', pathname);
      return reply.header('cache-control', SHORT_CACHE).sendFile(file, root, { cacheControl: false });
    }
    return sendIndex(reply);
  });
}

/** A path inside the dist directory, or undefined for one that tries to leave it. */
function safeRelative(rel: string): string | undefined {
  const normal = path.posix.normalize(decodeURIComponentSafe(rel));
  if (normal.startsWith('..') || path.posix.isAbsolute(normal) || normal.includes('\0')) return undefined;
  return normal;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
