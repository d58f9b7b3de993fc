// The data plane's contract: it takes a desired routing table and makes it so; it
// never reads the store. Every proxied request yields a RequestRecord handed to a MetricsSink.

export interface Backend {
  /** Instance id. */
  id: string;
  version: string;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
}

export interface Pool {
  version: string;
  /** Share of traffic, 0..100. Weights of an environment's pools add up to 100 (or all pools are 0). */
  weight: number;
  backends: Backend[];
}

export interface EnvironmentRoute {
  /** The service the environment belongs to; unset on a single-service server (see route-key.ts). */
  service?: string;
  environment: string;
  /** host:port to listen on. */
  listen: string;
  /**
   * Host names this route answers (`api.example.com`, `*.example.org`). Routes may share a listen
   * address when each names hosts; a request goes to the route of its Host header (an exact name
   * first, then the longest wildcard). Unset: the route has its listener to itself and takes
   * every request on it.
   */
  hosts?: string[];
  pools: Pool[];
  /** Sticky assignment of a client to a pool (canary), by cookie or header value. */
  sticky?: { cookie?: string; header?: string };
  /** TLS, limits and headers of the listener; none of them when unset. */
  edge?: EdgeSettings;
}

/** What an environment's listener does besides routing (gantry.yaml `tls`, `rate_limit`…). */
export interface EdgeSettings {
  /**
   * Serve HTTPS with the certificate in these PEM files (absolute paths; re-read when they change)
   * and/or the PEM pairs of `certificates`, each for its hosts (e.g. from ACME). On a listener
   * shared by routes, the certificate is chosen by SNI: exact name, then the longest wildcard,
   * else the first route's files (or first certificate). With `redirectHttp` (host:port), also
   * answer plain HTTP there with a 308 to the HTTPS URL. Routes sharing a listener agree on it.
   */
  tls?: {
    certFile?: string;
    keyFile?: string;
    certificates?: Array<{ hosts: string[]; cert: string; key: string }>;
    redirectHttp?: string;
  };
  /** Added to every proxied response whose backend did not set the header itself. */
  responseHeaders?: Record<string, string>;
  /** Token bucket per client; `trustedProxies` (addresses, CIDR ranges) may name it by X-Forwarded-For. */
  rateLimit?: { perSecond: number; burst: number; trustedProxies?: string[] };
  /** Largest request body in bytes (413 beyond); no limit when unset. */
  maxBodyBytes?: number;
  /** Largest request line + headers in bytes (431 beyond); Node's default (16 KiB) when unset. */
  maxHeaderBytes?: number;
}

export interface DesiredState {
  environments: EnvironmentRoute[];
  /**
   * ACME HTTP-01 answers, token → key authorization. When set, every plain-HTTP listener and
   * every HTTP→HTTPS redirect listener answers `GET /.well-known/acme-challenge/<token>` with it
   * (200 text/plain; 404 for another token) before routing or redirecting. Unset: that path is
   * routed like any other.
   */
  acmeChallenges?: Record<string, string>;
}

export interface RequestRecord {
  /** Copied from the route; unset when the route names no service. */
  service?: string;
  environment: string;
  version: string; // '' when no backend was chosen (503)
  instance: string; // '' when no backend was chosen
  method: string;
  status: number; // status sent to the client; 502/503/504 for proxy-generated errors
  /** Time from request received to response finished, in milliseconds (fractional). */
  latencyMs: number;
  at: number; // epoch ms when the request was received
  /**
   * Set when the proxy itself produced the response ('no_backend' | 'upstream_connect' |
   * 'upstream_timeout' | 'upstream_reset'), or 'client_abort' when the client left first (status 499
   * if no response header had been sent yet). Refusals at the edge ('rate_limited' 429,
   * 'body_too_large' 413, 'header_too_large' 431, 'malformed_request' 400 or 501, 'unknown_host'
   * 404, 'misdirected_request' 421) have version '': no backend is to blame. A refusal on a
   * listener shared by several routes, before any of them was chosen (unknown host, a request head
   * too large), has environment '' and no service.
   */
  error?: string;
}

export interface MetricsSink {
  record(r: RequestRecord): void;
}

export interface DataPlane {
  /**
   * Makes the routing table so: opens listeners for new environments, closes those of removed
   * ones, swaps pools atomically. Rejects (changing nothing for that environment) when a listener
   * cannot be opened.
   */
  apply(desired: DesiredState): Promise<void>;
  /** Resolves when no request is in flight to any of these backends, or after timeoutMs. Returns how many were still in flight. */
  drain(backendIds: string[], timeoutMs: number): Promise<number>;
  /** In-flight requests per backend id. */
  inFlight(): Promise<Map<string, number>>;
  /** Listening addresses, by route key (route-key.ts; actual ports when 0 was asked). */
  addresses(): Promise<Map<string, { host: string; port: number }>>;
  close(): Promise<void>;
}
