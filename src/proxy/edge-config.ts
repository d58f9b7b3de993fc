// From gantry.yaml to the data plane's edge settings: TLS paths resolved against the config file's
// directory, the security header policy turned into header values, defaults filled in. The
// routes the fleet builds name no edge nor hosts; withEdgeConfig adds them from the current config
// on every apply, so a reloaded config reaches the listeners with the next apply.
import path from 'node:path';
import { DEFAULT_LIMITS, DEFAULT_SECURITY_HEADERS } from '../config/schema-environment.ts';
import type { EnvironmentConfig, LoadedConfig, SecurityHeadersConfig } from '../config/types.ts';
import { GantryError } from '../lib/errors.ts';
import { loadTlsMaterial, TlsFileError } from './tls-material.ts';
import type { DataPlane, EdgeSettings } from './types.ts';

/** What automatic HTTPS adds to the edge: HTTP-01 answers, and each ACME environment's certificate. */
export interface AcmeEdge {
  challenges(): Record<string, string>;
  certificate(environment: string): { hosts: string[]; cert: string; key: string } | undefined;
}

export function edgeSettingsOf(env: EnvironmentConfig, configDir: string, acme?: AcmeEdge): EdgeSettings {
  const tls = env.tls;
  const limits = env.limits ?? DEFAULT_LIMITS;
  const rate = env.rate_limit;
  const acmeCert = tls?.acme && acme?.certificate(env.name);
  return {
    ...(tls?.cert !== undefined && tls.key !== undefined
      ? {
          tls: {
            certFile: path.resolve(configDir, tls.cert),
            keyFile: path.resolve(configDir, tls.key),
            ...(tls.redirect_http ? { redirectHttp: tls.redirect_http } : {}),
          },
        }
      : {}),
    ...(acmeCert
      ? {
          tls: {
            certificates: [{ hosts: acmeCert.hosts, cert: acmeCert.cert, key: acmeCert.key }],
            ...(tls?.redirect_http ? { redirectHttp: tls.redirect_http } : {}),
          },
        }
      : {}),
    responseHeaders: securityHeaderValues(
      env.security_headers ?? DEFAULT_SECURITY_HEADERS,
      tls !== undefined,
    ),
    ...(rate
      ? {
          rateLimit: {
            perSecond: rate.per_client,
            burst: rate.burst,
            ...(rate.trusted_proxies ? { trustedProxies: rate.trusted_proxies } : {}),
          },
        }
      : {}),
    maxBodyBytes: limits.max_body,
    maxHeaderBytes: limits.max_header_size,
  };
}

/** The headers a policy adds; HSTS only over HTTPS unless `hsts_on_http` (a TLS balancer in front). */
export function securityHeaderValues(h: SecurityHeadersConfig, https: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (h.hsts !== false && (https || h.hsts_on_http)) {
    out['strict-transport-security'] =
      `max-age=${Math.floor(h.hsts / 1000)}` +
      (h.hsts_include_subdomains ? '; includeSubDomains' : '') +
      (h.hsts_preload ? '; preload' : '');
  }
  if (h.frame_options !== false) out['x-frame-options'] = h.frame_options;
  if (h.content_type_options) out['x-content-type-options'] = 'nosniff';
  if (h.referrer_policy !== false) out['referrer-policy'] = h.referrer_policy;
  if (h.content_security_policy) out['content-security-policy'] = h.content_security_policy;
  if (h.permissions_policy) out['permissions-policy'] = h.permissions_policy;
  for (const [name, value] of Object.entries(h.extra)) out[name.toLowerCase()] = value;
  return out;
}

/**
 * The data plane, with each route's edge taken from the config current at apply time, and with
 * `acme` its HTTP-01 answers and the certificates it obtained.
 */
export function withEdgeConfig(plane: DataPlane, config: () => LoadedConfig, acme?: AcmeEdge): DataPlane {
  return {
    apply(desired) {
      const { config: c, dir } = config();
      return plane.apply({
        ...desired,
        environments: desired.environments.map((route) => {
          const env = c.environments[route.environment];
          if (!env) return route;
          const hosts = route.hosts ?? env.hosts;
          return {
            ...route,
            ...(hosts ? { hosts } : {}),
            ...(route.edge ? {} : { edge: edgeSettingsOf(env, dir, acme) }),
          };
        }),
        // Only then is /.well-known/acme-challenge/ Gantry's: otherwise it reaches the backends.
        ...(acme && Object.values(c.environments).some((e) => e.tls?.acme)
          ? { acmeChallenges: acme.challenges() }
          : {}),
      });
    },
    drain: (ids, timeoutMs) => plane.drain(ids, timeoutMs),
    inFlight: () => plane.inFlight(),
    addresses: () => plane.addresses(),
    close: () => plane.close(),
  };
}

/**
 * Reads every environment's certificate and key as the listeners would, so a config whose files
 * are missing or broken is refused before anything is swapped (a reload check).
 */
export function checkEdgeFiles(loaded: LoadedConfig): void {
  const problems: string[] = [];
  for (const env of Object.values(loaded.config.environments)) {
    const tls = edgeSettingsOf(env, loaded.dir).tls;
    if (tls?.certFile === undefined || tls.keyFile === undefined) continue;
    try {
      loadTlsMaterial(env.name, { certFile: tls.certFile, keyFile: tls.keyFile });
    } catch (err) {
      if (!(err instanceof TlsFileError)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length > 0) {
    throw new GantryError('CONFIG_INVALID', `${loaded.file}: ${problems.join('; ')}; nothing was changed`, {
      hint: 'Fix the TLS files (or their paths in gantry.yaml) and reload again.',
    });
  }
}
