// `environments:`: where a service runs (listener, instances, env, secrets), which refs it tracks,
// how releases reach it (strategy, requirements, windows, freezes, scan) and its edge (TLS, rate limit).
import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_INSTANCES } from './defaults.ts';
import {
  bool,
  dnsName,
  duration,
  enumOf,
  envMap,
  envVarName,
  expecting,
  globs,
  headerMap,
  hostName,
  intIn,
  keyIssue,
  list,
  listenAddress,
  mapping,
  perSecond,
  rate,
  size,
  text,
  whenFieldsValid,
} from './fields.ts';
import { freezeSchema, scanSchema, windowSchema } from './schema-policy.ts';
import { strategySchema } from './schema-strategy.ts';
import { acmeIssues, tlsSchema } from './schema-tls.ts';
import type { EnvironmentConfig, LimitsConfig, SecurityHeadersConfig } from './types.ts';

// Edge defaults (the proxy applies them when `security_headers` or `limits` is not set).
const DAY_MS = 86_400_000;
export const DEFAULT_HSTS_MAX_AGE = 180 * DAY_MS;
export const DEFAULT_FRAME_OPTIONS = 'SAMEORIGIN';
export const DEFAULT_REFERRER_POLICY = 'strict-origin-when-cross-origin';
export const DEFAULT_MAX_BODY = 10 * 1024 * 1024;
/** Node's own default, so an environment without `limits` behaves as before. */
export const DEFAULT_MAX_HEADER_SIZE = 16 * 1024;
const MIN_HEADER_SIZE = 1024;
const MAX_HEADER_SIZE = 1024 * 1024;
/** hstspreload.org refuses a shorter max-age. */
const HSTS_PRELOAD_MIN_MS = 365 * DAY_MS;

export const DEFAULT_SECURITY_HEADERS: SecurityHeadersConfig = {
  hsts: DEFAULT_HSTS_MAX_AGE,
  hsts_include_subdomains: false,
  hsts_preload: false,
  hsts_on_http: false,
  frame_options: DEFAULT_FRAME_OPTIONS,
  content_type_options: true,
  referrer_policy: DEFAULT_REFERRER_POLICY,
  extra: {},
};
export const DEFAULT_LIMITS: LimitsConfig = {
  max_body: DEFAULT_MAX_BODY,
  max_header_size: DEFAULT_MAX_HEADER_SIZE,
};

const trackSchema = mapping({
  branch: globs('a branch glob')
    .optional()
    .meta({ description: 'Branches (globs) released here, e.g. main.' }),
  tag: globs('a tag glob').optional().meta({ description: 'Tags (globs) released here, e.g. "v*".' }),
}).superRefine((track, ctx) => {
  if (track.branch === undefined && track.tag === undefined) {
    ctx.addIssue({ code: 'custom', message: 'set `branch`, `tag` or both' });
  }
}, whenFieldsValid);

/** An IPv4/IPv6 address or a CIDR range of them: 10.0.0.0/8, 192.168.1.10, fd00::/8. */
export function isAddressOrRange(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const rateLimitSchema = mapping({
  per_client: perSecond().meta({ description: 'Requests per second per client, e.g. 100/s.' }),
  burst: intIn(1)
    .optional()
    .meta({ description: "Requests a client may send at once; one second's worth by default." }),
  trusted_proxies: list(
    text('an IP address or CIDR range').refine(isAddressOrRange, {
      error: 'expected an IP address or CIDR range, like 10.0.0.0/8, 192.168.1.10 or fd00::/8',
    }),
  )
    .optional()
    .meta({
      description:
        'Proxies in front of Gantry (addresses or CIDR ranges): only requests from them have their client read from X-Forwarded-For.',
    }),
}).transform((limit) => ({
  per_client: limit.per_client,
  burst: limit.burst ?? Math.max(1, Math.ceil(limit.per_client)),
  ...(limit.trusted_proxies ? { trusted_proxies: limit.trusted_proxies } : {}),
}));

function orFalse<T extends z.ZodType>(schema: T, message: string) {
  return z.union([schema, z.literal(false)], { error: expecting(message) });
}

const REFERRER_POLICIES = [
  'no-referrer',
  'no-referrer-when-downgrade',
  'origin',
  'origin-when-cross-origin',
  'same-origin',
  'strict-origin',
  'strict-origin-when-cross-origin',
  'unsafe-url',
] as const;

// Headers `extra` must not set: the proxy owns framing and hop-by-hop fields, and the named keys
// above own theirs (one place per header, so a default cannot silently win over a user's value).
const EXTRA_FORBIDDEN: Record<string, string> = {
  connection: 'it is hop-by-hop',
  'keep-alive': 'it is hop-by-hop',
  'transfer-encoding': 'it is hop-by-hop',
  upgrade: 'it is hop-by-hop',
  te: 'it is hop-by-hop',
  trailer: 'it is hop-by-hop',
  'content-length': 'the proxy frames responses',
  'x-request-id': 'the proxy sets it',
  'strict-transport-security': 'use `hsts`',
  'x-frame-options': 'use `frame_options`',
  'x-content-type-options': 'use `content_type_options`',
  'referrer-policy': 'use `referrer_policy`',
  'content-security-policy': 'use `content_security_policy`',
  'permissions-policy': 'use `permissions_policy`',
};

const securityHeadersSchema = mapping({
  hsts: orFalse(duration(), 'expected a duration like 180d or 365d, or false')
    .default(DEFAULT_HSTS_MAX_AGE)
    .meta({ description: 'max-age of Strict-Transport-Security (180d by default); false: not sent.' }),
  hsts_include_subdomains: bool().default(false),
  hsts_preload: bool().default(false),
  hsts_on_http: bool().default(false).meta({
    description: 'Also send HSTS from a plain-HTTP listener (when a TLS balancer sits in front).',
  }),
  frame_options: orFalse(enumOf(['DENY', 'SAMEORIGIN']), 'expected DENY, SAMEORIGIN or false')
    .default(DEFAULT_FRAME_OPTIONS)
    .meta({ description: 'X-Frame-Options (SAMEORIGIN by default).' }),
  content_type_options: bool()
    .default(true)
    .meta({ description: 'X-Content-Type-Options: nosniff (true by default).' }),
  referrer_policy: orFalse(
    enumOf(REFERRER_POLICIES),
    `expected one of ${REFERRER_POLICIES.join(', ')}, or false`,
  )
    .default(DEFAULT_REFERRER_POLICY)
    .meta({ description: 'Referrer-Policy (strict-origin-when-cross-origin by default).' }),
  content_security_policy: text('a Content-Security-Policy value').optional(),
  permissions_policy: text('a Permissions-Policy value').optional(),
  extra: headerMap().default({}).meta({ description: 'More response headers, added the same way.' }),
})
  .superRefine((h, ctx) => {
    if (h.hsts_preload && (h.hsts === false || h.hsts < HSTS_PRELOAD_MIN_MS || !h.hsts_include_subdomains)) {
      ctx.addIssue({
        code: 'custom',
        path: ['hsts_preload'],
        message: 'HSTS preload needs `hsts` of at least 365d and `hsts_include_subdomains: true`',
      });
    }
    for (const name of Object.keys(h.extra)) {
      const why = EXTRA_FORBIDDEN[name.toLowerCase()];
      if (why) ctx.addIssue(keyIssue(['extra', name], `'${name}' cannot be set here: ${why}`));
    }
  }, whenFieldsValid)
  .transform(
    (h): SecurityHeadersConfig => ({
      hsts: h.hsts,
      hsts_include_subdomains: h.hsts_include_subdomains,
      hsts_preload: h.hsts_preload,
      hsts_on_http: h.hsts_on_http,
      frame_options: h.frame_options,
      content_type_options: h.content_type_options,
      referrer_policy: h.referrer_policy,
      ...(h.content_security_policy ? { content_security_policy: h.content_security_policy } : {}),
      ...(h.permissions_policy ? { permissions_policy: h.permissions_policy } : {}),
      extra: h.extra,
    }),
  );

const headerSize = size().refine((n) => n >= MIN_HEADER_SIZE && n <= MAX_HEADER_SIZE, {
  error: 'expected a size from 1KB to 1MB, like 16KB',
});

const limitsSchema = mapping({
  max_body: size()
    .refine((n) => n > 0, { error: 'expected a size greater than 0, like 10MB' })
    .default(DEFAULT_MAX_BODY)
    .meta({ description: 'Largest request body (10MB by default); larger ones get 413.' }),
  max_header_size: headerSize
    .default(DEFAULT_MAX_HEADER_SIZE)
    .meta({ description: 'Largest request line and headers (16KB by default); larger ones get 431.' }),
}).transform((l): LimitsConfig => ({ max_body: l.max_body, max_header_size: l.max_header_size }));

const environmentSchema = mapping({
  listen: listenAddress().meta({ description: "host:port of this environment's proxy listener." }),
  hosts: list(hostName())
    .min(1, { error: 'expected at least one host name, like api.example.com' })
    .optional()
    .meta({
      description:
        'Host names this environment answers (api.example.com, "*.example.org"): environments naming hosts may share a listen address; requests are routed by their Host header.',
    }),
  instances: intIn(1, 1000).default(DEFAULT_INSTANCES),
  track: trackSchema.optional().meta({ description: 'Git refs that `gantry release --ref` sends here.' }),
  requires: mapping({
    passed: dnsName('an environment name')
      .optional()
      .meta({ description: 'A version must have succeeded there first.' }),
    error_budget: rate().optional().meta({
      description:
        'Refuse a release while an SLO of this environment has less of its error budget left, like 25% (docs/slo.md).',
    }),
  }).optional(),
  strategy: strategySchema.prefault('rolling'),
  env: envMap()
    .default({})
    .meta({ description: 'Environment variables added to run.env here (no secrets).' }),
  secrets: list(envVarName()).default([]).meta({
    description: 'Names of secrets (`gantry secrets set`) passed to instances as environment variables.',
  }),
  window: windowSchema.optional().meta({
    description: 'The one deployment window: outside it a release is refused, naming when it next opens.',
  }),
  windows: list(windowSchema).optional().meta({ description: 'Several deployment windows.' }),
  freezes: list(freezeSchema).default([]).meta({ description: 'Date ranges without releases.' }),
  scan: scanSchema.optional().meta({ description: 'Vulnerability gate on the image or artifact.' }),
  tls: tlsSchema.optional().meta({ description: 'Serve this environment over HTTPS.' }),
  rate_limit: rateLimitSchema
    .optional()
    .meta({ description: 'Per-client token bucket; excess requests get 429 with Retry-After.' }),
  security_headers: securityHeadersSchema
    .optional()
    .meta({ description: 'Headers added to proxied responses unless the backend set them.' }),
  limits: limitsSchema.optional().meta({ description: 'Request size limits of the proxy.' }),
})
  .superRefine((env, ctx) => {
    if (env.window !== undefined && env.windows !== undefined) {
      ctx.addIssue(keyIssue(['windows'], 'use either `window` (one) or `windows` (a list), not both'));
    }
    env.hosts?.forEach((host, i) => {
      if (env.hosts?.indexOf(host) !== i) {
        ctx.addIssue({ code: 'custom', path: ['hosts', i], message: `duplicate host '${host}'` });
      }
    });
    env.secrets.forEach((name, i) => {
      if (env.secrets.indexOf(name) !== i) {
        ctx.addIssue({ code: 'custom', path: ['secrets', i], message: `duplicate secret '${name}'` });
      } else if (name in env.env) {
        ctx.addIssue({
          code: 'custom',
          path: ['secrets', i],
          message: `'${name}' is also set in env: a variable comes from env or from secrets, not both`,
        });
      }
    });
    for (const issue of acmeIssues(env)) ctx.addIssue({ code: 'custom', ...issue });
  }, whenFieldsValid)
  .transform(
    (env): Omit<EnvironmentConfig, 'name'> => ({
      listen: env.listen,
      ...(env.hosts ? { hosts: env.hosts } : {}),
      instances: env.instances,
      track: env.track,
      requires: env.requires,
      strategy: env.strategy,
      env: env.env,
      secrets: env.secrets,
      windows: env.windows ?? (env.window ? [env.window] : []),
      freezes: env.freezes,
      scan: env.scan,
      tls: env.tls,
      rate_limit: env.rate_limit,
      ...(env.security_headers ? { security_headers: env.security_headers } : {}),
      ...(env.limits ? { limits: env.limits } : {}),
    }),
  );

export const environmentsSchema = z
  .record(dnsName('an environment name'), environmentSchema, {
    error: (iss) =>
      iss.input === undefined
        ? 'missing required key: define at least one environment'
        : 'expected a mapping of environment name: settings',
  })
  .refine((envs) => Object.keys(envs).length > 0, {
    error: 'expected at least one environment, like `staging: { listen: 127.0.0.1:8081 }`',
  })
  .transform(
    (envs): Record<string, EnvironmentConfig> =>
      Object.fromEntries(Object.entries(envs).map(([name, env]) => [name, { name, ...env }])),
  )
  .meta({ description: 'Where the service runs, keyed by environment name (staging, production…).' });
