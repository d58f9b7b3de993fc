// Opening a server socket with errors a user can act on (which environment, which key of
// gantry.yaml, what to do), shared by the proxy listeners and the HTTPS redirect listeners.
import type { Server } from 'node:net';
import { formatListenAddress, type ListenAddress } from './listen-address.ts';

export class ListenError extends Error {
  readonly environment: string;
  readonly listen: string;
  readonly code: string | undefined;
  constructor(environment: string, listen: string, code: string | undefined, message: string) {
    super(message);
    this.name = 'ListenError';
    this.environment = environment;
    this.listen = listen;
    this.code = code;
  }
}

/**
 * Listens on `addr`; rejects with a ListenError pointing at `environments.<env>.<key>`. With
 * `reusePort` (SO_REUSEPORT), other sockets that set it may bind the same address: workers share a
 * port, and a new data plane takes over an old one's without refusing a connection.
 */
export function listenOn(
  server: Server,
  environment: string,
  addr: ListenAddress,
  key = 'listen',
  reusePort = false,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(listenError(environment, addr, key, err));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host: addr.host, port: addr.port, reusePort });
  });
}

function listenError(
  environment: string,
  addr: ListenAddress,
  key: string,
  err: NodeJS.ErrnoException,
): ListenError {
  const where = formatListenAddress(addr);
  const why =
    err.code === 'EADDRINUSE'
      ? 'the address is already in use (EADDRINUSE): stop the process using it or choose another port'
      : err.code === 'EACCES'
        ? 'permission denied (EACCES): ports below 1024 need privileges; choose a port above 1023'
        : err.code === 'EADDRNOTAVAIL'
          ? 'the address is not available on this machine (EADDRNOTAVAIL): check the host part'
          : `${err.code ?? err.message}`;
  return new ListenError(
    environment,
    where,
    err.code,
    `environment ${environment}: cannot listen on ${where}: ${why} (environments.${environment}.${key} in gantry.yaml)`,
  );
}
