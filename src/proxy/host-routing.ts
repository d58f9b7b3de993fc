// Which route of a listener a request goes to. A listener whose one route names no hosts sends it
// everything, as before host routing existed. Otherwise the Host header (port stripped,
// lower-cased) chooses: an exact name, then the longest wildcard. A host no route names gets 404
// (no environment serves it here). On HTTPS, a request whose Host belongs to another route than
// the name its connection asked for by SNI gets 421 Misdirected Request (RFC 9110 §15.5.20): the
// connection was set up, certificate included, for that other name, and a client that reuses
// connections across names retries 421 on a new one.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { EdgeRefusal } from './edge-refusals.ts';
import { errorBody } from './error-responses.ts';
import { buildHostTable, type HostTable, hostOfHeader, lookupHost, normalizeHostName } from './host-table.ts';
import type { RoutingTable } from './routing-table.ts';

export interface ListenerRoutes {
  /** Set when the listener's one route names no hosts: every request goes there. */
  readonly only: RoutingTable | undefined;
  readonly byHost: HostTable<RoutingTable>;
  /** By route key (route-key.ts). */
  readonly byKey: ReadonlyMap<string, RoutingTable>;
}

/** Longest host name echoed in a refusal (a Host header may be anything up to the header limit). */
const MAX_ECHOED_HOST = 255;

export function buildListenerRoutes(
  tables: ReadonlyArray<{ hosts: readonly string[] | undefined; table: RoutingTable }>,
): ListenerRoutes {
  const first = tables[0];
  return {
    only: tables.length === 1 && first !== undefined && first.hosts === undefined ? first.table : undefined,
    byHost: buildHostTable(tables.map((t) => ({ hosts: t.hosts ?? [], value: t.table }))),
    byKey: new Map(tables.map((t) => [t.table.key, t.table])),
  };
}

/** The table of the route `req` is for, or the refusal to send when there is none. */
export function chooseRoute(routes: ListenerRoutes, req: IncomingMessage): RoutingTable | EdgeRefusal {
  if (routes.only !== undefined) return routes.only;
  const host = hostOfHeader(req.headers.host);
  if (host === undefined) return { response: unknownHostResponse(host) };
  const table = lookupHost(routes.byHost, host);
  if (table === undefined) return { response: unknownHostResponse(host) };
  const servername = (req.socket as Partial<TLSSocket>).servername;
  if (typeof servername === 'string' && servername !== '') {
    const sni = normalizeHostName(servername);
    if (sni !== host) {
      const other = lookupHost(routes.byHost, sni);
      if (other !== undefined && other !== table) return { response: misdirectedResponse(host, sni) };
    }
  }
  return table;
}

export function unknownHostResponse(host: string | undefined) {
  const shown = host?.slice(0, MAX_ECHOED_HOST);
  return {
    status: 404,
    kind: 'unknown_host' as const,
    body: errorBody(
      'UNKNOWN_HOST',
      shown === undefined
        ? 'the request names no host, and every environment on this address is chosen by host name'
        : `no environment serves the host ${shown} on this address`,
      'Check the host name in the URL; to serve it, add it to `hosts` of an environment listening here (gantry.yaml).',
    ),
  };
}

export function misdirectedResponse(host: string, servername: string) {
  return {
    status: 421,
    kind: 'misdirected_request' as const,
    body: errorBody(
      'MISDIRECTED_REQUEST',
      `this connection was opened for ${servername.slice(0, MAX_ECHOED_HOST)} (TLS SNI), which another environment serves than the Host ${host.slice(0, MAX_ECHOED_HOST)}`,
      'Open a new connection for this host name.',
    ),
  };
}
