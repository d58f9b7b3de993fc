// What a standby server answers on the API's address while another server on the same database is
// the leader: /health passes (the process is fine, do not restart it), /readiness fails saying
// "standby" (send no traffic here), and every other request gets 503 STANDBY with Retry-After. A
// standby serves no reads either: it has loaded nothing yet, and it must not look like the leader.
import http from 'node:http';
import type { HealthBody } from '../api/types.ts';
import { GantryError } from '../lib/errors.ts';

/** Seconds a client is asked to wait before it tries again. */
const RETRY_AFTER_S = 5;

export interface StandbyApi {
  close(): Promise<void>;
}

export async function startStandbyApi(opts: {
  host: string;
  port: number;
  version: string;
  /** Who holds the lock, for the answers: e.g. `gantry web-1 pid 4242 (10.0.0.5)`. */
  leader: () => string;
}): Promise<StandbyApi> {
  const server = http.createServer((req, res) => {
    req.resume(); // a body is not read, only drained
    const path = (req.url ?? '/').split('?')[0];
    const leader = opts.leader();
    if (path === '/health') {
      const body: HealthBody = { status: 'pass', version: opts.version, checks: {} };
      return send(res, 200, 'application/health+json', body);
    }
    if (path === '/readiness') {
      const body: HealthBody = {
        status: 'fail',
        version: opts.version,
        checks: {
          'leader:lock': [
            {
              status: 'fail',
              output: `standby: ${leader} holds the leader lock on this database; this server takes over when that one stops`,
              time: new Date().toISOString(),
            },
          ],
        },
      };
      return send(res, 503, 'application/health+json', body);
    }
    res.setHeader('retry-after', String(RETRY_AFTER_S));
    const err = new GantryError(
      'STANDBY',
      `this Gantry server is a standby: ${leader} is the leader on this database`,
    );
    return send(res, err.status, 'application/json', err.toJSON());
  });
  await new Promise<void>((resolve, reject) =>
    server.once('error', reject).listen(opts.port, opts.host, () => resolve()),
  );
  return {
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: http.ServerResponse, status: number, type: string, body: unknown): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
