// Several services behind one API listener. Each service has its own API instance (buildApi over
// that service's parts); this picks one per request: `/api/v1/services/S/…` is service S's
// `/api/v1/…`, the old paths are the only service's on a single-service server, and on a server
// with several they answer 400 naming the services. What is global (tokens, sessions, the audit
// log, the dashboard, health, the API document, the reload) is the same whichever instance
// answers, since every instance shares the auth and audit services: the first service's does.
import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { GantryError } from '../lib/errors.ts';
import { mergeExpositions } from './service-metrics.ts';

export interface ServiceApis {
  /** The API instances by service name, in the order the services were given. */
  current(): ReadonlyMap<string, FastifyInstance>;
  /** The service whose alert an acknowledgement link (of a notification) is about, if any. */
  ackLinkOwner(token: string): Promise<string | undefined>;
}

const ACK_LINK = /^\/api\/v1\/ack\/([^/]+)$/;

const NESTED = /^\/api\/v1\/services\/([^/?]+)(\/[^?]*)?$/;
/** API paths that are not a service's: answered the same on every instance. */
const GLOBAL_API =
  /^\/api\/v1\/(openapi\.json|schemas?(\/.*)?|services|config\/reload|session|tokens(\/.*)?|audit(\/.*)?|ack\/[^/]+|secrets\/rotate-key|backups(\/.*)?)$/;
/** Paths outside the API that belong to a service: its Prometheus metrics are per service too. */
const GLOBAL_OTHER = /^\/(?!api\/)/;

/** Which instance answers a path, and the path it sees; or the error to answer with. */
export function pickService(
  rawUrl: string,
  services: readonly string[],
): { service: string; url: string } | GantryError {
  const [pathname = '/', query] = splitQuery(rawUrl);
  const nested = NESTED.exec(pathname);
  if (nested) {
    const service = decodeURIComponent(nested[1] as string);
    if (!services.includes(service)) {
      return new GantryError('UNKNOWN_SERVICE', `no service ${service} on this server`, {
        details: { services },
      });
    }
    const rest = nested[2] ?? '';
    return { service, url: `/api/v1${rest === '/' ? '' : rest}${query}` };
  }
  const first = services[0] as string;
  if (services.length === 1 || GLOBAL_API.test(pathname) || GLOBAL_OTHER.test(pathname)) {
    return { service: first, url: rawUrl };
  }
  return new GantryError(
    'SERVICE_REQUIRED',
    `this server runs ${services.length} services (${services.join(', ')}): say which one ${pathname} is about`,
    {
      hint: `Use /api/v1/services/SERVICE${pathname.slice('/api/v1'.length)}, or \`gantry --service SERVICE …\` (GANTRY_SERVICE).`,
      details: { services },
    },
  );
}

function splitQuery(url: string): [string, string] {
  const i = url.indexOf('?');
  return i < 0 ? [url, ''] : [url.slice(0, i), url.slice(i)];
}

/** Every service's /metrics, asked with the scrape's own headers; the first refusal is the answer. */
async function answerMetrics(
  instances: ReadonlyMap<string, FastifyInstance>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const answers = await Promise.all(
    [...instances].map(async ([service, app]) => ({
      service,
      res: await app.inject({ method: 'GET', url: req.url ?? '/metrics', headers: req.headers }),
    })),
  );
  const refused = answers.find((a) => a.res.statusCode !== 200);
  const first = (refused ?? answers[0])?.res;
  const headers = { 'content-type': String(first?.headers['content-type'] ?? 'text/plain'), vary: 'Accept' };
  if (refused) {
    res.writeHead(refused.res.statusCode, headers).end(refused.res.body);
    return;
  }
  res
    .writeHead(200, headers)
    .end(mergeExpositions(answers.map((a) => ({ service: a.service, text: a.res.body }))));
}

/** Requests the dispatcher refuses: the first service's instance answers them once authenticated. */
const refused = new WeakMap<http.IncomingMessage, GantryError>();

/** Why the dispatcher refused this request (an API instance answers it, after authentication). */
export function dispatchRefusal(req: http.IncomingMessage): GantryError | undefined {
  return refused.get(req);
}

/** The service named in the path of requests that named one. */
const named = new WeakMap<http.IncomingMessage, string>();

/** The service a request named (`/api/v1/services/S/…`); undefined on the old paths. */
export function namedService(req: http.IncomingMessage): string | undefined {
  return named.get(req);
}

/** An HTTP server handing each request to the API instance of its service. */
export function createServiceDispatcher(apis: ServiceApis): http.Server {
  const server = http.createServer((req, res) => {
    const instances = apis.current();
    if (instances.size === 0) {
      // Stopping: every service's API is closed already.
      const closing = new GantryError('INTERNAL', 'the server is stopping', {
        hint: 'Try again once it is back.',
      });
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
      res.end(JSON.stringify(closing.toJSON()));
      return;
    }
    const [pathname] = splitQuery(req.url ?? '/');
    if (instances.size > 1 && req.method === 'GET' && pathname === '/metrics') {
      answerMetrics(instances, req, res).catch((err: unknown) => res.destroy(err as Error));
      return;
    }
    // A link in a notification names no service: the alert it is about does.
    const ack = instances.size > 1 ? ACK_LINK.exec(pathname) : null;
    if (ack) {
      apis.ackLinkOwner(decodeURIComponent(ack[1] as string)).then(
        (service) =>
          (instances.get(service ?? '') ?? (instances.values().next().value as FastifyInstance)).routing(
            req,
            res,
          ),
        (err: unknown) => res.destroy(err as Error),
      );
      return;
    }
    const picked = pickService(req.url ?? '/', [...instances.keys()]);
    if (picked instanceof GantryError) {
      // Answered by an instance, so that who asks is checked (and counted) before it is told.
      refused.set(req, picked);
      (instances.values().next().value as FastifyInstance).routing(req, res);
      return;
    }
    if (picked.url !== req.url) named.set(req, picked.service);
    req.url = picked.url;
    (instances.get(picked.service) as FastifyInstance).routing(req, res);
  });
  // As Fastify's own listener: idle keep-alive connections live 72 s.
  server.keepAliveTimeout = 72_000;
  return server;
}
