// `run:` (how to start one instance of a version) and `health:` (its probes).
import {
  DEFAULT_DRAIN_TIMEOUT,
  DEFAULT_LIVENESS,
  DEFAULT_PORT_ENV,
  DEFAULT_READINESS,
  DEFAULT_STARTUP_TIMEOUT,
  DEFAULT_STOP_TIMEOUT,
} from './defaults.ts';
import {
  bool,
  duration,
  envMap,
  envVarName,
  headerMap,
  httpPath,
  intIn,
  keyIssue,
  mapping,
  text,
  whenFieldsValid,
} from './fields.ts';
import { containerPort, imageRepository, resourcesSchema, runCommand } from './schema-runtime.ts';
import type { ProbeConfig } from './types.ts';
import { formatDuration } from './units.ts';

export const runSchema = mapping({
  command: runCommand().optional(),
  image: imageRepository().optional(),
  port: containerPort().optional(),
  resources: resourcesSchema.optional(),
  port_env: envVarName()
    .default(DEFAULT_PORT_ENV)
    .meta({ description: 'Variable that receives the port Gantry picked for the instance.' }),
  env: envMap().default({}).meta({ description: 'Environment variables of every instance (no secrets).' }),
  stop_timeout: duration({ zero: true })
    .prefault(formatDuration(DEFAULT_STOP_TIMEOUT))
    .meta({ description: 'Grace period between SIGTERM and SIGKILL.' }),
  drain_timeout: duration({ zero: true })
    .prefault(formatDuration(DEFAULT_DRAIN_TIMEOUT))
    .meta({ description: 'How long a removed instance may finish its in-flight requests.' }),
  data_dir: text('a directory path').optional().meta({
    description:
      "Where each environment's persistent data lives: <data_dir>/<environment>/, passed to instances as GANTRY_DATA_DIR; it survives new versions. Relative to this file; default <Gantry's data dir>/data/<service>/.",
  }),
}).meta({
  description: 'How to run one instance of a version (which fields apply depends on `runtime`).',
});

type ProbeDefaults = typeof DEFAULT_LIVENESS | typeof DEFAULT_READINESS;

function probe(defaults: ProbeDefaults, description: string) {
  return mapping({
    path: httpPath().optional().meta({
      description: 'HTTP probe: GET this path, any 2xx passes (application/health+json bodies are read).',
    }),
    tcp: bool().optional().meta({ description: 'TCP probe: passes when the port accepts a connection.' }),
    interval: duration().prefault(formatDuration(defaults.interval)),
    timeout: duration().prefault(formatDuration(defaults.timeout)),
    failure_threshold: intIn(1, 100).default(defaults.failure_threshold),
    success_threshold: intIn(1, 100).default(defaults.success_threshold),
    headers: headerMap().default({}),
  })
    .superRefine((p, ctx) => {
      if (p.tcp === true && p.path !== undefined) {
        ctx.addIssue(keyIssue(['tcp'], 'a probe is either HTTP (`path`) or TCP (`tcp: true`), not both'));
      } else if (p.tcp !== true && p.path === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'set `path` for an HTTP probe, or `tcp: true` for a TCP probe',
        });
      }
    }, whenFieldsValid)
    .transform(
      (p): ProbeConfig => ({
        path: p.path ?? '',
        type: p.tcp === true ? 'tcp' : 'http',
        interval: p.interval,
        timeout: p.timeout,
        failure_threshold: p.failure_threshold,
        success_threshold: p.success_threshold,
        headers: p.headers,
      }),
    )
    .meta({ description });
}

export const healthSchema = mapping({
  liveness: probe(
    DEFAULT_LIVENESS,
    'Restart the instance when this fails failure_threshold times in a row.',
  ).optional(),
  readiness: probe(
    DEFAULT_READINESS,
    'Send traffic only while this passes; without it, an instance is ready once its port accepts connections.',
  ).optional(),
  startup_timeout: duration()
    .prefault(formatDuration(DEFAULT_STARTUP_TIMEOUT))
    .meta({ description: 'Time a new instance has to become ready.' }),
}).meta({ description: 'Health probes of every instance.' });
