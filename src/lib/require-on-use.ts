// Packages that only some setups or moments need (the Docker client, the ACME client, PostgreSQL's
// driver, and undici: the proxy's client, and the notifications') are required where they are
// first used instead of imported at start: an idle server on the defaults does not carry their
// code. dockerode alone, through ssh2, keeps a 16 MB buffer; undici compiles its WebAssembly parser.
// The proxy takes undici's Pool alone (`undici/lib/dispatcher/pool.js`, 22 modules instead of the
// 110 of undici's index with fetch, WebSocket and caches): it only calls `dispatch` and `close`,
// which are the Pool's own methods.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The CommonJS package `name`, loaded on first call (then from Node's cache). */
export function requireOnUse<T>(
  name: 'acme-client' | 'dockerode' | 'pg' | 'undici' | 'undici/lib/dispatcher/pool.js',
): T {
  return require(name) as T;
}
