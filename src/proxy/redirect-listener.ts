// The plain-HTTP listener of a TLS environment (`tls.redirect_http`): every request gets a 308 to
// the same host, path and query over HTTPS, on the HTTPS listener's port. 308 (not 301) keeps the
// method and body, so a POST sent to the wrong scheme is not silently turned into a GET. ACME
// HTTP-01 challenges are answered here first (acme-challenge.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AcmeChallenges, answerAcmeChallenge } from './acme-challenge.ts';
import { formatListenAddress, type ListenAddress } from './listen-address.ts';
import { listenOn } from './listener-socket.ts';

const CLOSE_GRACE_MS = 1_000;
const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])$/;

export interface RedirectListener {
  /** host:port as asked. */
  readonly requested: string;
  readonly server: Server;
}

/** Opens the redirecting listener; `httpsPort` is read per request (the HTTPS port may be 0 → bound). */
export async function openRedirectListener(
  environment: string,
  addr: ListenAddress,
  httpsPort: () => number,
  challenges: () => AcmeChallenges,
  reusePort: boolean,
): Promise<RedirectListener> {
  const server = createServer({ noDelay: true }, (req, res) => {
    if (!answerAcmeChallenge(challenges(), req, res)) redirectToHttps(req, res, httpsPort());
  });
  await listenOn(server, environment, addr, 'tls.redirect_http', reusePort);
  return { requested: formatListenAddress(addr), server };
}

export function closeRedirectListener(r: RedirectListener): Promise<void> {
  return new Promise((resolve) => {
    const cut = setTimeout(() => r.server.closeAllConnections(), CLOSE_GRACE_MS);
    r.server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    r.server.closeIdleConnections();
  });
}

function redirectToHttps(req: IncomingMessage, res: ServerResponse, httpsPort: number): void {
  const host = hostWithoutPort(req.headers.host);
  if (host === undefined) {
    const body = 'This address only redirects to HTTPS, which needs a valid Host header.\n';
    res.writeHead(400, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
    return;
  }
  const location = `https://${httpsPort === 443 ? host : `${host}:${httpsPort}`}${pathAndQuery(req.url)}`;
  const body = `Moved to ${location}\n`;
  res.writeHead(308, {
    location,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** `example.com:8079` → `example.com`, `[::1]:8079` → `[::1]`; undefined when absent or malformed. */
export function hostWithoutPort(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const end = header.startsWith('[') ? header.indexOf(']') + 1 : header.lastIndexOf(':');
  const host = end > 0 && end < header.length ? header.slice(0, end) : header;
  const port = header.slice(host.length);
  if (port !== '' && !/^:\d{1,5}$/.test(port)) return undefined;
  return HOST.test(host) ? host : undefined;
}

/** The path and query of a request target, whether origin-form (`/a?b`) or absolute-form. */
function pathAndQuery(url: string | undefined): string {
  if (url?.startsWith('/')) return url;
  try {
    const u = new URL(url ?? '/');
    return `${u.pathname}${u.search}`;
  } catch {
    return '/';
  }
}
