// Parsing of `listen` values (`host:port`, `[::1]:port`, `:port`) into what net.Server.listen takes.

export interface ListenAddress {
  host: string;
  port: number;
}

/** Parses `host:port`; throws an Error naming the environment when the value is malformed. */
export function parseListenAddress(environment: string, listen: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new Error(
      `environment ${environment}: invalid listen address "${listen}": expected host:port ` +
        '(e.g. 127.0.0.1:8080, [::1]:8080 or :8080 for all interfaces)',
    );
  }
  const host = m[1] ?? (m[2] === '' || m[2] === undefined ? '0.0.0.0' : m[2]);
  return { host, port };
}

/** A stable key for an address, so two environments asking for the same one can be told apart. */
export function formatListenAddress(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
