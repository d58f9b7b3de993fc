import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  ConfigError,
  formatDuration,
  type GantryConfig,
  loadConfigFile,
  parseConfig,
  parseDuration,
  parsePerSecond,
  parseRate,
  parseSize,
  renderJsonSchema,
  SCHEMA_FILE,
} from '../src/config/index.ts';

const fixtures = path.join(import.meta.dirname, 'fixtures', 'config');
const readFixture = (name: string) => readFile(path.join(fixtures, name), 'utf8');

const MINIMAL = `service: hello
run: { command: node server.js }
environments:
  staging: { listen: 127.0.0.1:8081 }
`;

/** The minimal config plus extra top-level YAML, or with the staging environment replaced. */
function parseWith(opts: { staging?: string; extra?: string; run?: string }): GantryConfig {
  const text = `service: hello
run: ${opts.run ?? '{ command: node server.js }'}
environments:
  staging: ${opts.staging ?? '{ listen: 127.0.0.1:8081 }'}
${opts.extra ?? ''}`;
  return parseConfig(text, 'gantry.yaml').config;
}

describe('the full example of every key', () => {
  let config: GantryConfig;
  beforeAll(async () => {
    config = parseConfig(await readFixture('design-example.yaml'), 'gantry.yaml').config;
  });

  it('reads run and health with durations in milliseconds', () => {
    expect(config.service).toBe('shop-api');
    expect(config.run).toEqual({
      command: 'node server.js',
      port_env: 'PORT',
      env: { NODE_ENV: 'production' },
      stop_timeout: 10_000,
      drain_timeout: 30_000,
    });
    expect(config.health).toEqual({
      liveness: {
        path: '/health',
        type: 'http',
        interval: 5000,
        timeout: 2000,
        failure_threshold: 3,
        success_threshold: 1,
        headers: {},
      },
      readiness: {
        path: '/readiness',
        type: 'http',
        interval: 2000,
        timeout: 1000,
        failure_threshold: 2,
        success_threshold: 1,
        headers: {},
      },
      startup_timeout: 60_000,
    });
  });

  it('keeps environments in file order, named after their keys', () => {
    expect(Object.keys(config.environments)).toEqual(['staging', 'production']);
    expect(config.environments.staging?.name).toBe('staging');
    expect(config.environments.production?.name).toBe('production');
  });

  it('reads staging as a rolling environment tracking main', () => {
    expect(config.environments.staging).toEqual({
      name: 'staging',
      listen: '127.0.0.1:8081',
      instances: 1,
      track: { branch: 'main' },
      strategy: { type: 'rolling', max_surge: 1 },
      env: {},
      secrets: ['DATABASE_URL'],
      windows: [],
      freezes: [],
    });
  });

  it('reads production: canary steps, analysis, window, freeze, scan, tls and rate limit', () => {
    const production = config.environments.production;
    expect(production?.track).toEqual({ tag: 'v*' });
    expect(production?.requires).toEqual({ passed: 'staging' });
    expect(production?.instances).toBe(2);
    expect(production?.strategy).toEqual({
      type: 'canary',
      canary: {
        steps: [
          { weight: 10, pause: 300_000, checks: [] },
          { weight: 25, pause: 600_000, checks: ['smoke'] },
          { weight: 50, pause: 900_000, checks: ['e2e'] },
          { weight: 100, checks: [] },
        ],
        analysis: {
          interval: 10_000,
          min_requests: 50,
          max_error_rate: 0.01,
          max_p99_latency: 500,
          compare: 'baseline',
          on_inconclusive: 'fail',
        },
      },
    });
    expect(production?.windows).toEqual([
      { days: ['tue', 'wed', 'thu'], from: '02:00', to: '04:00', tz: 'UTC' },
    ]);
    expect(production?.freezes).toEqual([
      { from: '2026-12-20', to: '2027-01-04', reason: 'year-end freeze' },
    ]);
    expect(production?.scan).toEqual({
      fail_on: 'high',
      allow: [{ id: 'CVE-2026-12345', until: '2027-01-31', reason: 'not reachable' }],
    });
    expect(production?.tls).toEqual({
      cert: '/etc/gantry/tls/cert.pem',
      key: '/etc/gantry/tls/key.pem',
      redirect_http: '127.0.0.1:8079',
    });
    expect(production?.rate_limit).toEqual({ per_client: 100, burst: 200 });
  });

  it('reads checks, alarms, synthetics and logs', () => {
    expect(config.checks).toEqual({
      smoke: {
        name: 'smoke',
        http: [{ method: 'GET', path: '/health', expect_status: 200, headers: {} }],
        timeout: 10_000,
      },
      e2e: { name: 'e2e', command: 'npm run e2e', timeout: 300_000 },
    });
    expect(config.alarms).toEqual([
      {
        name: 'high-5xx',
        environment: 'production',
        metric: 'http_5xx_rate',
        above: 0.01,
        period: 60_000,
        evaluation_periods: 3,
        datapoints_to_alarm: 2,
        treat_missing_data: 'missing',
        severity: 'P2',
        notify: ['oncall'],
        runbook: 'docs/runbooks/high-5xx.md',
      },
    ]);
    expect(config.synthetics.map((s) => [s.name, s.every, s.http?.max_latency, s.command])).toEqual([
      ['api-reachable', 30_000, 500, undefined],
      ['checkout-flow', 300_000, undefined, 'npm run e2e'],
    ]);
    expect(config.logs).toEqual({
      retention: { age: 14 * 86_400_000, size: 2 * 1024 ** 3 },
      patterns: [
        { name: 'payment-errors', environment: 'production', match: 'payment failed', regex: false },
      ],
    });
  });

  it('keeps secret references as written, for the secrets module to resolve', () => {
    expect(config.triggers).toEqual({
      github: { secret: `\${secret:GITHUB_WEBHOOK_SECRET}`, max_body: 5 * 1024 * 1024 },
    });
    expect(config.smtp).toEqual({
      host: 'smtp.example.com',
      port: 587,
      secure: false,
      starttls: true,
      user: 'gantry',
      password: `\${secret:SMTP_PASSWORD}`,
      from: 'Gantry <gantry@example.com>',
    });
    expect(config.notify.oncall).toEqual([
      { type: 'email', to: 'ops@example.com' },
      { type: 'slack', webhook_url: `\${secret:SLACK_WEBHOOK}` },
      { type: 'pagerduty', routing_key: `\${secret:PAGERDUTY_KEY}` },
      {
        type: 'webhook',
        url: 'https://hooks.example.com/gantry',
        secret: `\${secret:HOOK_SIGNING_KEY}`,
        headers: {},
      },
      { type: 'sns', topic_arn: 'arn:aws:sns:us-east-1:123456789012:oncall', region: 'us-east-1' },
    ]);
    expect(config.incidents).toEqual({ open_at: 'P2', notify: [] });
  });
});

describe('a minimal config', () => {
  it('gets every default', async () => {
    const loaded = parseConfig(await readFixture('minimal.yaml'), 'minimal.yaml');
    expect(loaded.config).toEqual({
      service: 'hello',
      runtime: { type: 'process' },
      run: {
        command: 'node server.js',
        port_env: 'PORT',
        env: {},
        stop_timeout: 10_000,
        drain_timeout: 30_000,
      },
      health: { startup_timeout: 60_000 },
      environments: {
        staging: {
          name: 'staging',
          listen: '127.0.0.1:8081',
          instances: 1,
          strategy: { type: 'rolling', max_surge: 1 },
          env: {},
          secrets: [],
          windows: [],
          freezes: [],
        },
      },
      checks: {},
      alarms: [],
      synthetics: [],
      logs: { retention: { age: 14 * 86_400_000, size: 2 * 1024 ** 3 }, patterns: [] },
      triggers: {},
      notify: {},
      incidents: {
        open_at: 'P2',
        notify: [],
      },
      slos: [],
      oncall: { schedules: [], escalation: [] },
    } satisfies GantryConfig);
    expect(loaded.config.health.readiness).toBeUndefined();
    expect(loaded.config.smtp).toBeUndefined();
  });
});

describe('input conveniences', () => {
  it('accepts every spelling of a strategy', () => {
    expect(
      parseWith({ staging: '{ listen: "127.0.0.1:1", strategy: rolling }' }).environments.staging?.strategy,
    ).toEqual({ type: 'rolling', max_surge: 1 });
    expect(
      parseWith({ staging: '{ listen: "127.0.0.1:1", strategy: { rolling: { max_surge: 3 } } }' })
        .environments.staging?.strategy,
    ).toEqual({ type: 'rolling', max_surge: 3 });
    expect(
      parseWith({ staging: '{ listen: "127.0.0.1:1", strategy: { rolling: {} } }' }).environments.staging
        ?.strategy,
    ).toEqual({ type: 'rolling', max_surge: 1 });
    const canary = parseWith({
      staging:
        '{ listen: "127.0.0.1:1", strategy: { canary: { steps: [{ weight: 50 }], sticky: { cookie: c } } } }',
    }).environments.staging?.strategy;
    expect(canary).toEqual({
      type: 'canary',
      canary: {
        steps: [{ weight: 50, checks: [] }],
        analysis: { interval: 10_000, min_requests: 50, on_inconclusive: 'fail' },
        sticky: { cookie: 'c' },
      },
    });
  });

  it('turns `window` into one entry of `windows`, and defaults days and tz', () => {
    const one = parseWith({ staging: '{ listen: "127.0.0.1:1", window: { from: "9:00", to: "17:30" } }' });
    expect(one.environments.staging?.windows).toEqual([
      { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '09:00', to: '17:30', tz: 'UTC' },
    ]);
    const many = parseWith({
      staging: `
    listen: 127.0.0.1:1
    windows:
      - { days: [mon], from: "22:00", to: "02:00", tz: Europe/Berlin }
      - { days: [sat, sun], from: "10:00", to: "12:00" }`,
    });
    expect(many.environments.staging?.windows.map((w) => [w.days, w.from, w.to, w.tz])).toEqual([
      [['mon'], '22:00', '02:00', 'Europe/Berlin'],
      [['sat', 'sun'], '10:00', '12:00', 'UTC'],
    ]);
  });

  it('takes track globs as a string or a list', () => {
    const config = parseWith({
      staging: '{ listen: "127.0.0.1:1", track: { branch: [main, "release/*"], tag: "rc-*" } }',
    });
    expect(config.environments.staging?.track).toEqual({ branch: ['main', 'release/*'], tag: 'rc-*' });
  });

  it('reads a `path` probe as HTTP and `tcp: true` as TCP', () => {
    const config = parseWith({
      extra:
        'health: { liveness: { tcp: true, interval: 1m }, readiness: { path: /ready, headers: { X-Probe: "1" } } }',
    });
    expect(config.health.liveness).toMatchObject({
      type: 'tcp',
      path: '',
      interval: 60_000,
      failure_threshold: 3,
    });
    expect(config.health.readiness).toMatchObject({
      type: 'http',
      path: '/ready',
      headers: { 'X-Probe': '1' },
    });
  });

  it('converts durations, rates, sizes and per-second limits', () => {
    const config = parseWith({
      staging: `
    listen: 127.0.0.1:1
    rate_limit: { per_client: 600/m }
    strategy: { canary: { steps: [{ weight: 5, pause: 1h30m }], analysis: { max_error_rate: 0.02, step_deadline: 1d } } }`,
      extra: `logs: { retention: { age: 36h, size: 512MB } }
alarms:
  - { name: slow, environment: staging, metric: http_latency_p99, above: 250ms }
  - { name: errors, environment: staging, metric: http_5xx_rate, above: 0.5% }
  - { name: quiet, environment: staging, metric: http_requests, below: 1 }`,
    });
    const staging = config.environments.staging;
    expect(staging?.rate_limit).toEqual({ per_client: 10, burst: 10 });
    expect(staging?.strategy.type === 'canary' && staging.strategy.canary.steps[0]?.pause).toBe(5_400_000);
    expect(staging?.strategy.type === 'canary' && staging.strategy.canary.analysis).toMatchObject({
      max_error_rate: 0.02,
      step_deadline: 86_400_000,
    });
    expect(config.logs.retention).toEqual({ age: 36 * 3_600_000, size: 512 * 1024 ** 2 });
    expect(config.alarms.map((a) => [a.above, a.below, a.datapoints_to_alarm])).toEqual([
      [250, undefined, 1],
      [0.005, undefined, 1],
      [undefined, 1, 1],
    ]);
  });

  it('writes numbers and booleans in env as text, and chooses implicit TLS on port 465', () => {
    const config = parseWith({
      run: '{ image: registry.local/app, port: 8000, env: { WORKERS: 4, DEBUG: false } }',
      extra: 'runtime: docker\nsmtp: { host: mail.local, port: 465, from: ops@example.com }',
    });
    expect(config.run).toMatchObject({ image: 'registry.local/app', env: { WORKERS: '4', DEBUG: 'false' } });
    expect(config.run.command).toBeUndefined();
    expect(config.smtp).toMatchObject({ port: 465, secure: true, starttls: false });
  });
});

describe('YAML features', () => {
  it('resolves anchors and merge keys', () => {
    const { config } = parseConfig(
      `service: hello
run: { command: node server.js }
environments:
  staging: &base { listen: 127.0.0.1:8081, instances: 2, secrets: [DB_URL] }
  production: { <<: *base, listen: 127.0.0.1:8080 }
`,
      'gantry.yaml',
    );
    expect(config.environments.production).toMatchObject({
      listen: '127.0.0.1:8080',
      instances: 2,
      secrets: ['DB_URL'],
    });
  });
});

describe('units', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1.5s', 1500],
    ['1h30m', 5_400_000],
  ])('duration %s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('rejects malformed durations and formats them back', () => {
    for (const bad of ['5', '5 s', 's', '-1s', '1w', '']) expect(parseDuration(bad)).toBeUndefined();
    expect([10_000, 90_000, 3_600_000, 1500, 0].map(formatDuration)).toEqual([
      '10s',
      '90s',
      '1h',
      '1500ms',
      '0ms',
    ]);
  });

  it('reads rates, sizes and per-second limits', () => {
    expect([parseRate('1%'), parseRate('1.1%'), parseRate(0.25), parseRate('101%'), parseRate(2)]).toEqual([
      0.01,
      0.011,
      0.25,
      undefined,
      undefined,
    ]);
    expect([
      parseSize('512MB'),
      parseSize('2GB'),
      parseSize('10KiB'),
      parseSize('100B'),
      parseSize('2gb'),
    ]).toEqual([512 * 1024 ** 2, 2 * 1024 ** 3, 10 * 1024, 100, undefined]);
    expect([
      parsePerSecond('100/s'),
      parsePerSecond('60/m'),
      parsePerSecond(2.5),
      parsePerSecond('0/s'),
    ]).toEqual([100, 1, 2.5, undefined]);
  });
});

describe('loadConfigFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file and records its directory', async () => {
    const file = path.join(dir, 'gantry.yaml');
    await writeFile(file, MINIMAL);
    const loaded = await loadConfigFile(file);
    expect(loaded.file).toBe(file);
    expect(loaded.dir).toBe(dir);
    expect(loaded.config.service).toBe('hello');
  });

  it('says how to create a missing file', async () => {
    const file = path.join(dir, 'nope', 'gantry.yaml');
    const error = await loadConfigFile(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file, line: 0, column: 0, path: '' });
    expect((error as ConfigError).message).toBe(
      `${file}: no such file. Create ${file} (a minimal one: \`service: my-app\`, \`run: { command: node server.js }\`, ` +
        '`environments: { staging: { listen: 127.0.0.1:8081 } }`) or pass --config PATH',
    );
  });

  it('reports a directory given as the file', async () => {
    await expect(loadConfigFile(dir)).rejects.toThrow(`${dir}: is a directory`);
  });
});

describe('the JSON Schema', () => {
  it(`is up to date in ${SCHEMA_FILE} (run \`npm run schema\` after changing the zod schema)`, async () => {
    const committed = await readFile(path.join(import.meta.dirname, '..', SCHEMA_FILE), 'utf8');
    expect(committed).toBe(renderJsonSchema());
  });

  it('describes the input side: durations and rates are strings, defaults as users write them', () => {
    const schema = JSON.parse(renderJsonSchema());
    expect(schema.$id).toBeTypeOf('string');
    expect(schema.title).toBe('gantry.yaml');
    expect(schema.required).toEqual(['service', 'run', 'environments']);
    expect(schema.additionalProperties).toBe(false);
    const run = schema.properties.run.properties;
    expect(run.stop_timeout).toMatchObject({ type: 'string', default: '10s' });
    const env = schema.properties.environments.additionalProperties;
    expect(env.required).toEqual(['listen']);
    expect(env.properties.strategy.anyOf[0]).toEqual({ type: 'string', const: 'rolling' });
    expect(schema.properties.service.description).toBeTypeOf('string');
  });

  it('accepts what users write and rejects unknown keys, as an editor would', async () => {
    const validate = new Ajv2020({ allErrors: true }).compile(JSON.parse(renderJsonSchema()));
    for (const name of ['design-example.yaml', 'minimal.yaml']) {
      const ok = validate(parseYaml(await readFixture(name)));
      expect(validate.errors ?? [], name).toEqual([]);
      expect(ok).toBe(true);
    }
    const typo = parseYaml(MINIMAL.replace('listen:', 'listn:'));
    expect(validate(typo)).toBe(false);
    expect(validate.errors?.map((e) => [e.instancePath, e.keyword])).toContainEqual([
      '/environments/staging',
      'additionalProperties',
    ]);
  });
});
