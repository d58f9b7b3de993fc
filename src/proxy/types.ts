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
  environment: string;
  /** host:port to listen on. */
  listen: string;
  pools: Pool[];
  /** Sticky assignment of a client to a pool (canary), by cookie or header value. */
  sticky?: { cookie?: string; header?: string };
  /** TLS, limits and headers of the listener; none of them when unset. */
  edge?: EdgeSettings;
}

/** What an environment's listener does besides routing (gantry.yaml `tls`, `rate_limit`…). */
export interface EdgeSettings {
  /**
   * Serve HTTPS with these PEM files (absolute paths), re-read when they change; with
   * `redirectHttp` (host:port), also answer plain HTTP there with a 308 to the HTTPS URL.
   */
  tls?: { certFile: string; keyFile: string; redirectHttp?: string };
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
}

export interface RequestRecord {
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
   * 'body_too_large' 413, 'header_too_large' 431, 'malformed_request' 400 or 501) have version '':
   * no backend is to blame.
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
  /** Listening addresses, by environment (actual ports when 0 was asked). */
  addresses(): Promise<Map<string, { host: string; port: number }>>;
  close(): Promise<void>;
}
