// Where the API's routes are assembled: every route module exports its entries (method, path,
// access, operationId, request and response schemas) next to its handlers, and this list joins
// them for the OpenAPI document and for the access each request needs. Only the server imports
// this module, and it imports only route modules, so no import cycle runs through it.
//
// Adding a route: give it an entry in its module's `…RouteDocs` (with an operationId and a zod
// schema per answer its handler gives, the handler's body typed from that schema with z.infer),
// spread the module's list below, and register its handler in server.ts. The server refuses to
// start with a registered route missing here.
import { type Access, defaultAccess } from '../auth/types.ts';
import { ackLinkRouteDocs } from './ack-link-routes.ts';
import { alarmRouteDocs } from './alarm-routes.ts';
import { auditRouteDocs } from './audit-routes.ts';
import { authRouteDocs } from './auth-routes.ts';
import { backupRouteDocs } from './backup-routes.ts';
import { coreRouteDocs } from './core-routes.ts';
import { doraRouteDocs } from './dora-routes.ts';
import { hookRouteDocs } from './hook-routes.ts';
import { imageRouteDocs } from './image-routes.ts';
import { incidentRouteDocs } from './incident-routes.ts';
import { logRouteDocs } from './logs-routes.ts';
import { metricsRouteDocs } from './metrics-routes.ts';
import { notifyRouteDocs } from './notify-routes.ts';
import { oncallRouteDocs } from './oncall-routes.ts';
import { openApiDocument } from './openapi.ts';
import { policyRouteDocs } from './policy-routes.ts';
import type { RouteDoc } from './route-doc.ts';
import { schemaRouteDocs } from './schema-routes.ts';
import { secretRouteDocs } from './secret-routes.ts';
import { sloRouteDocs } from './slo-routes.ts';
import { webRouteDocs } from './web-routes.ts';

export const routes: readonly RouteDoc[] = [
  ...metricsRouteDocs,
  ...alarmRouteDocs,
  ...notifyRouteDocs,
  ...incidentRouteDocs,
  ...logRouteDocs,
  ...secretRouteDocs,
  ...webRouteDocs,
  ...authRouteDocs,
  ...auditRouteDocs,
  ...backupRouteDocs,
  ...hookRouteDocs,
  ...schemaRouteDocs,
  ...policyRouteDocs,
  ...imageRouteDocs,
  ...sloRouteDocs,
  ...doraRouteDocs,
  ...oncallRouteDocs,
  ...ackLinkRouteDocs,
  ...coreRouteDocs,
];

const documents = new Map<string, Record<string, unknown>>();

/** The OpenAPI document of every route above (built once: it converts every schema). */
export function apiDocument(version: string): Record<string, unknown> {
  let doc = documents.get(version);
  if (!doc) {
    doc = openApiDocument(routes, version);
    documents.set(version, doc);
  }
  return doc;
}

/** Routes registered on the server but missing from the table (so from the OpenAPI document). */
export function undocumentedRoutes(registered: Array<{ method: string; url: string }>): string[] {
  const documented = new Set(routes.map((r) => `${r.method} ${r.path}`));
  return registered
    .filter((r) => r.method !== 'HEAD' && !documented.has(`${r.method} ${r.url}`))
    .map((r) => `${r.method} ${r.url}`);
}

const ACCESS = new Map(routes.map((r) => [`${r.method} ${r.path}`, r.access ?? defaultAccess(r.method)]));
/** Paths the dashboard's catch-all answers (with a 404) although they are not the dashboard's. */
const NOT_DASHBOARD = /^\/(api|metrics)(\/|$)/;

/**
 * The access a request needs, by its method and matched route (`url` undefined: none matched, and
 * a 404 is for token holders only, so that the API's shape is not open to anyone).
 */
export function routeAccess(method: string, url: string | undefined, pathname: string): Access {
  const found = url === undefined ? undefined : ACCESS.get(`${method === 'HEAD' ? 'GET' : method} ${url}`);
  if (found === undefined) return 'viewer';
  if (found === 'public' && url === '/*' && NOT_DASHBOARD.test(pathname)) return 'viewer';
  return found;
}
