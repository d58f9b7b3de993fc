// Picks a free loopback port for an instance. The kernel chooses it (bind to port 0); ports already
// handed to live instances are skipped, since such an instance may be between two runs in backoff.
import { createServer } from 'node:net';

const HOST = '127.0.0.1';
const MAX_ATTEMPTS = 50;

export async function pickFreePort(taken: ReadonlySet<number>): Promise<number> {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    const port = await bindEphemeralPort();
    if (!taken.has(port)) return port;
  }
  throw new Error(
    `could not find a free port on ${HOST} after ${MAX_ATTEMPTS} attempts; ` +
      'set an explicit port or stop instances that are no longer needed',
  );
}

function bindEphemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: HOST, port: 0, exclusive: true }, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('bind returned no port'))));
    });
  });
}
