// `environments:`: where a service runs (listener, instances, env, secrets), which refs it tracks,
// how releases reach it (strategy, requirements, windows, freezes, scan) and its edge (TLS, rate limit).
import { z } from 'zod';
import { DEFAULT_INSTANCES } from './defaults.ts';
import {
  dnsName,
  envMap,
  envVarName,
  globs,
  intIn,
  keyIssue,
  list,
  listenAddress,
  mapping,
  perSecond,
  text,
  whenFieldsValid,
} from './fields.ts';
import { freezeSchema, scanSchema, windowSchema } from './schema-policy.ts';
import { strategySchema } from './schema-strategy.ts';
import type { EnvironmentConfig } from './types.ts';

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

const tlsSchema = mapping({
  cert: text('a certificate file path'),
  key: text('a key file path'),
  redirect_http: listenAddress()
    .optional()
    .meta({ description: 'Also listen here for plain HTTP and redirect it to HTTPS.' }),
});

const rateLimitSchema = mapping({
  per_client: perSecond().meta({ description: 'Requests per second per client, e.g. 100/s.' }),
  burst: intIn(1)
    .optional()
    .meta({ description: "Requests a client may send at once; one second's worth by default." }),
}).transform((limit) => ({
  per_client: limit.per_client,
  burst: limit.burst ?? Math.max(1, Math.ceil(limit.per_client)),
}));

const environmentSchema = mapping({
  listen: listenAddress().meta({ description: "host:port of this environment's proxy listener." }),
  instances: intIn(1, 1000).default(DEFAULT_INSTANCES),
  track: trackSchema.optional().meta({ description: 'Git refs that `gantry release --ref` sends here.' }),
  requires: mapping({
    passed: dnsName('an environment name').meta({
      description: 'A version must have succeeded there first.',
    }),
  }).optional(),
  strategy: strategySchema.prefault('rolling'),
  env: envMap()
    .default({})
    .meta({ description: 'Environment variables added to run.env here (no secrets).' }),
  secrets: list(envVarName()).default([]).meta({
    description: 'Names of secrets (`gantry secrets set`) passed to instances as environment variables.',
  }),
  window: windowSchema.optional().meta({ description: 'The one deployment window; releases wait for it.' }),
  windows: list(windowSchema).optional().meta({ description: 'Several deployment windows.' }),
  freezes: list(freezeSchema).default([]).meta({ description: 'Date ranges without releases.' }),
  scan: scanSchema.optional().meta({ description: 'Vulnerability gate on the image or artifact.' }),
  tls: tlsSchema.optional(),
  rate_limit: rateLimitSchema.optional(),
})
  .superRefine((env, ctx) => {
    if (env.window !== undefined && env.windows !== undefined) {
      ctx.addIssue(keyIssue(['windows'], 'use either `window` (one) or `windows` (a list), not both'));
    }
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
  }, whenFieldsValid)
  .transform(
    (env): Omit<EnvironmentConfig, 'name'> => ({
      listen: env.listen,
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
