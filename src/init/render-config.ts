// The starter gantry.yaml: what detection found, the usual staging/production split (main →
// staging, v* tags → production once staging passed) and the policies a team adds next, commented.
import { stringify } from 'yaml';
import type { HealthPaths, ProjectFacts, RuntimeChoice } from './types.ts';

export const STAGING_LISTEN = '127.0.0.1:8081';
export const PRODUCTION_LISTEN = '127.0.0.1:8080';

export interface RenderConfigOptions {
  /** The `$schema` path of the editor modeline. */
  schema: string;
  /** A CI pipeline sends a scan report with every release, so production can gate on it. */
  scanGate: boolean;
  choice: RuntimeChoice;
}

/** A YAML scalar, quoted only when it must be. */
export function yamlScalar(value: string): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

function flowMap(entries: Record<string, string>): string {
  const items = Object.entries(entries).map(([k, v]) => `${k}: ${yamlScalar(v)}`);
  return `{ ${items.join(', ')} }`;
}

const COMMAND_ORIGIN: Record<ProjectFacts['commandSource'], string> = {
  procfile: "the Procfile's web line",
  'start-script': "package.json's start script",
  'main-field': "package.json's main",
  'entry-file': 'a guess from the files present',
  fastapi: 'the FastAPI app, under Gunicorn with Uvicorn workers',
  none: '',
};

export function renderConfig(facts: ProjectFacts, opts: RenderConfigOptions): string {
  const lines = [
    `# yaml-language-server: $schema=${opts.schema}`,
    `# Written by \`gantry init\`. Check it, then run \`gantry validate\`. Every key is described in`,
    '# the schema above (editors complete and check it).',
    `service: ${facts.service}`,
    '',
    ...(opts.choice.runtime === 'docker' ? renderContainerRun(facts, opts.choice) : renderProcessRun(facts)),
    '',
    ...renderHealth(facts.health),
    '',
    'environments:',
    '  staging:',
    `    listen: ${STAGING_LISTEN}`,
    '    instances: 1',
    '    track: { branch: main }          # a push to main releases here',
    '    strategy: rolling',
    '    # secrets: [DATABASE_URL]        # values set with `gantry secrets set staging DATABASE_URL`',
    '',
    '  production:',
    `    listen: ${PRODUCTION_LISTEN}`,
    '    instances: 2',
    '    track: { tag: "v*" }             # a pushed version tag releases here',
    '    requires: { passed: staging }    # only versions that succeeded in staging',
    '    strategy: rolling',
    opts.scanGate
      ? '    scan: { fail_on: critical }      # refuse a release whose scan report has a critical finding'
      : '    # scan: { fail_on: critical }    # refuse a release whose scan report (--scan) has a critical finding',
    '    # window: { days: [tue, wed, thu], from: "02:00", to: "04:00", tz: UTC }',
    '    # freezes: [{ from: 2026-12-20, to: 2027-01-04, reason: "year-end freeze" }]',
    '    # A canary instead of a rolling deploy: a share of real traffic tries the new version first.',
    '    # strategy:',
    '    #   canary:',
    '    #     steps: [{ weight: 10, pause: 5m }, { weight: 50, pause: 10m }, { weight: 100 }]',
    '    #     analysis: { interval: 10s, min_requests: 50, max_error_rate: 1%, max_p99_latency: 500ms }',
    '',
    '# A GitHub push webhook can start releases too (POST /api/v1/hooks/github):',
    '# triggers:',
    `#   github: { secret: "\${secret:GITHUB_WEBHOOK_SECRET}" }`,
  ];
  return `${lines.join('\n')}\n`;
}

function renderProcessRun(facts: ProjectFacts): string[] {
  return [
    'run:',
    facts.commandSource === 'none'
      ? '  # No start command was found (Procfile, package.json, FastAPI app): REPLACE this placeholder.'
      : `  # From ${COMMAND_ORIGIN[facts.commandSource]}.`,
    "  # Run by /bin/sh -c in the version's artifact directory; it must listen on the port in $PORT.",
    `  command: ${yamlScalar(facts.command)}`,
    '  port_env: PORT',
    ...(Object.keys(facts.env).length > 0 ? [`  env: ${flowMap(facts.env)}`] : []),
    ...stopTimeout(facts),
  ];
}

function stopTimeout(facts: ProjectFacts): string[] {
  return facts.stopTimeout
    ? [
        "  # Longer than the server's own graceful shutdown, so it drains before a SIGKILL.",
        `  stop_timeout: ${facts.stopTimeout}`,
      ]
    : [];
}

/** Runtime docker: each version is an image of the project's Dockerfile, pulled from a registry. */
function renderContainerRun(facts: ProjectFacts, choice: RuntimeChoice): string[] {
  const port = facts.dockerfile?.exposedPort;
  return [
    '# Each version is an image of the Dockerfile, pushed by CI; Gantry pulls it, keeps its digest',
    '# (promote and rollback run the same bytes) and runs it through the Docker Engine API.',
    'runtime:',
    '  docker:',
    '    # host: unix:///run/podman/podman.sock   # default: $DOCKER_HOST, else /var/run/docker.sock',
    "    network: bridge                 # each container's port is published on 127.0.0.1:<free port>",
    '    pull: if-not-present',
    '    # A private registry: its credentials (set with `gantry secrets set --global REGISTRY_PASSWORD`).',
    `    # registries: [{ host: ${registryHost(choice.image)}, username: ci, password: "\${secret:REGISTRY_PASSWORD}" }]`,
    '',
    'run:',
    '  # REPLACE with your registry and repository; the workflow pushes to the same one.',
    `  image: ${choice.image}`,
    port === undefined
      ? '  # The Dockerfile EXPOSEs no port: CHECK that the service listens on this one.'
      : '  # The port the Dockerfile EXPOSEs; the service must listen on 0.0.0.0 inside the container.',
    `  port: ${choice.containerPort}`,
    "  # command: [gunicorn, main:app]   # optional: replaces the image's CMD",
    '  # resources: { cpus: 1, memory: 512MB }',
    ...(Object.keys(facts.env).length > 0 ? [`  env: ${flowMap(facts.env)}`] : []),
    ...stopTimeout(facts),
  ];
}

function registryHost(image: string | undefined): string {
  return image?.split('/')[0] ?? 'registry.example.com';
}

function renderHealth(health: HealthPaths): string[] {
  if (!health.liveness && !health.readiness) {
    return [
      '# No health endpoint was found in the code. Without probes an instance counts as ready once',
      '# its port accepts connections. Add an endpoint that answers 200, then describe it here:',
      '# health:',
      '#   liveness: { path: /health, interval: 5s, timeout: 2s, failure_threshold: 3 }',
      '#   readiness: { path: /readiness, interval: 2s, timeout: 1s, failure_threshold: 2 }',
      '#   startup_timeout: 60s',
    ];
  }
  return [
    '# Guessed from the routes the code mentions: check that they answer 200 when healthy.',
    'health:',
    ...(health.liveness
      ? [`  liveness: { path: ${health.liveness}, interval: 5s, timeout: 2s, failure_threshold: 3 }`]
      : []),
    ...(health.readiness
      ? [`  readiness: { path: ${health.readiness}, interval: 2s, timeout: 1s, failure_threshold: 2 }`]
      : []),
    '  startup_timeout: 60s',
  ];
}
