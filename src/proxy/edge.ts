// An environment's edge settings compiled for the request path: response headers as a flat list
// of lower-cased names and values, the rate limiter with its client resolver, the body limit.
// apply() runs on every readiness change, so compiling keeps what did not change: above all the
// rate limiter, whose buckets would otherwise be refilled by each apply.
import { isDeepStrictEqual } from 'node:util';
import { type ClientOf, createClientResolver, socketAddress } from './client-address.ts';
import { RateLimiter } from './rate-limiter.ts';
import type { EdgeSettings } from './types.ts';

export interface Edge {
  readonly settings: EdgeSettings | undefined;
  /** [name, value, name, value…], names lower-cased as undici reports response headers. */
  readonly headers: readonly string[];
  readonly limiter: RateLimiter | null;
  readonly clientOf: ClientOf;
  /** Largest request body in bytes; -1 for no limit. */
  readonly maxBody: number;
}

export const NO_EDGE: Edge = {
  settings: undefined,
  headers: [],
  limiter: null,
  clientOf: socketAddress,
  maxBody: -1,
};

/** The edge for `settings`, reusing `previous` (or its rate limiter) when nothing changed. */
export function compileEdge(settings: EdgeSettings | undefined, previous: Edge = NO_EDGE): Edge {
  if (isDeepStrictEqual(settings, previous.settings)) return previous;
  if (!settings) return NO_EDGE;
  const headers: string[] = [];
  for (const [name, value] of Object.entries(settings.responseHeaders ?? {})) {
    headers.push(name.toLowerCase(), value);
  }
  const rate = settings.rateLimit;
  const sameRate = isDeepStrictEqual(rate, previous.settings?.rateLimit);
  return {
    settings,
    headers,
    limiter: !rate ? null : sameRate && previous.limiter ? previous.limiter : new RateLimiter(rate),
    clientOf: !rate
      ? socketAddress
      : sameRate
        ? previous.clientOf
        : createClientResolver(rate.trustedProxies),
    maxBody: settings.maxBodyBytes ?? -1,
  };
}

/** Checks settings the request path would otherwise trip over; throws an Error saying which. */
export function validateEdgeSettings(environment: string, settings: EdgeSettings | undefined): void {
  if (!settings) return;
  const rate = settings.rateLimit;
  if (rate) {
    new RateLimiter(rate);
    createClientResolver(rate.trustedProxies);
  }
  for (const n of [settings.maxBodyBytes, settings.maxHeaderBytes]) {
    if (n !== undefined && !(Number.isInteger(n) && n > 0)) {
      throw new Error(`environment ${environment}: size limits must be whole numbers of bytes above 0`);
    }
  }
}
