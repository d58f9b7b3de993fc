import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue, parseConfig } from '../src/config/index.ts';
import { GantryError } from '../src/lib/errors.ts';

/** The formatted issues of a broken file (fails the test if the file is accepted). */
function problemsOf(yaml: string): string[] {
  try {
    parseConfig(yaml, 'gantry.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map(formatIssue);
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

// Lines 1–4 of most cases; each case's own lines start at line 5.
const HEAD = `service: hello
run: { command: node server.js }
environments:
  staging: { listen: 127.0.0.1:8081 }
`;

const cases: Array<{ name: string; yaml: string; issues: string[] }> = [
  {
    name: 'unknown key, with a suggestion, and the key it misspells is missing',
    yaml: `service: hello
run: { command: node server.js }
environments:
  staging:
    listn: 127.0.0.1:8081
`,
    issues: [
      'gantry.yaml:5:5 environments.staging.listen: missing required key',
      "gantry.yaml:5:5 environments.staging.listn: unknown key 'listn' (did you mean 'listen'?)",
    ],
  },
  {
    name: 'unknown top-level key without a close match',
    yaml: `${HEAD}deploy_hooks: []
`,
    issues: ["gantry.yaml:5:1 deploy_hooks: unknown key 'deploy_hooks'"],
  },
  {
    name: 'missing service',
    yaml: `run: { command: node server.js }
environments: { staging: { listen: 127.0.0.1:8081 } }
`,
    issues: ['gantry.yaml:1:1 service: missing required key'],
  },
  {
    name: 'service name with capitals',
    yaml: HEAD.replace('service: hello', 'service: Shop_API'),
    issues: [
      'gantry.yaml:1:10 service: expected a service name: lowercase letters, digits and dashes, starting with a letter, like shop-api',
    ],
  },
  {
    name: 'run with an image but the process runtime',
    yaml: HEAD.replace('run: { command: node server.js }', 'run: { command: node server.js, image: app }'),
    issues: [
      'gantry.yaml:2:33 run.image: `image` needs `runtime: docker` at the top of the file (the default runtime, process, runs `command` in the artifact directory)',
    ],
  },
  {
    name: 'run with neither command nor image',
    yaml: HEAD.replace('run: { command: node server.js }', 'run:\n  port_env: HTTP_PORT'),
    issues: [
      'gantry.yaml:3:3 run: set `command` (to run a process) or `image` with `runtime: docker` (to run a container)',
    ],
  },
  {
    name: 'no environment',
    yaml: `service: hello
run: { command: node server.js }
environments: {}
`,
    issues: [
      'gantry.yaml:3:15 environments: expected at least one environment, like `staging: { listen: 127.0.0.1:8081 }`',
    ],
  },
  {
    name: 'environment name that cannot be a host name',
    yaml: `${HEAD}  Prod_1: { listen: 127.0.0.1:8080 }
`,
    issues: [
      'gantry.yaml:5:3 environments.Prod_1: expected an environment name: lowercase letters, digits and dashes, starting with a letter, like shop-api',
    ],
  },
  {
    name: 'duration given as a bare number',
    yaml: `${HEAD}health:
  readiness: { path: /ready, interval: 5 }
`,
    issues: [
      'gantry.yaml:6:40 health.readiness.interval: expected a duration like 500ms, 10s, 5m, 1h or 1d, got the bare number 5: add a unit, like 5s or 5ms',
    ],
  },
  {
    name: 'probe that is neither HTTP nor TCP, and one that is both',
    yaml: `${HEAD}health:
  liveness: { interval: 5s }
  readiness: { path: /ready, tcp: true }
`,
    issues: [
      'gantry.yaml:6:13 health.liveness: set `path` for an HTTP probe, or `tcp: true` for a TCP probe',
      'gantry.yaml:7:30 health.readiness.tcp: a probe is either HTTP (`path`) or TCP (`tcp: true`), not both',
    ],
  },
  {
    name: 'listen address without a valid port',
    yaml: HEAD.replace('127.0.0.1:8081', '127.0.0.1:99999'),
    issues: [
      'gantry.yaml:4:22 environments.staging.listen: expected host:port, like 127.0.0.1:8080 (port 0 to 65535)',
    ],
  },
  {
    name: 'two environments on one address (a wildcard host overlaps every host)',
    yaml: `${HEAD}  production: { listen: 0.0.0.0:8081 }
`,
    issues: [
      "gantry.yaml:5:25 environments.production.listen: environment staging of service hello (gantry.yaml:4) and environment production of service hello (gantry.yaml:5) both listen on 0.0.0.0:8081: give each its own port, or name each one's hosts (staging names none)",
    ],
  },
  {
    name: 'two environments on one address, one of them without hosts',
    yaml: `service: hello
run: { command: node server.js }
environments:
  staging: { listen: 127.0.0.1:8081, hosts: [staging.example.com] }
  production: { listen: 127.0.0.1:8081 }
`,
    issues: [
      "gantry.yaml:5:25 environments.production.listen: environment staging of service hello (gantry.yaml:4) and environment production of service hello (gantry.yaml:5) both listen on 127.0.0.1:8081: give each its own port, or name each one's hosts (production names none)",
    ],
  },
  {
    name: 'one host named by two environments on one address',
    yaml: `service: hello
run: { command: node server.js }
environments:
  staging: { listen: 127.0.0.1:8081, hosts: [a.example.com, "*.example.org"] }
  production:
    listen: 127.0.0.1:8081
    hosts: [b.example.com, "*.Example.org"]
`,
    issues: [
      'gantry.yaml:7:28 environments.production.hosts[1]: environment staging of service hello (gantry.yaml:4) and environment production of service hello (gantry.yaml:6) both serve the host *.example.org on 127.0.0.1:8081: a host belongs to one environment per address',
    ],
  },
  {
    name: 'environments sharing an address but not its TLS',
    yaml: `service: hello
run: { command: node server.js }
environments:
  staging: { listen: 127.0.0.1:8443, hosts: [a.example.com] }
  production:
    listen: 127.0.0.1:8443
    hosts: [b.example.com]
    tls: { cert: c.pem, key: k.pem }
`,
    issues: [
      'gantry.yaml:6:13 environments.production.listen: environment staging of service hello (gantry.yaml:4) and environment production of service hello (gantry.yaml:6) share 127.0.0.1:8443 but differ in TLS, tls.redirect_http or limits.max_header_size (http, headers 16384 vs https, headers 16384): environments on one address must agree on them',
    ],
  },
  {
    name: 'host names that are not names, or a wildcard that is not a first label',
    yaml: `${HEAD}  production: { listen: 127.0.0.1:8080, hosts: ["api.*.example.com", "a b"] }
`,
    issues: [
      'gantry.yaml:5:49 environments.production.hosts[0]: expected a host name: "api.*.example.com": a wildcard may only be a whole first label, like *.example.org',
      'gantry.yaml:5:70 environments.production.hosts[1]: expected a host name: "a b" is not a host name (letters, digits and hyphens in dot-separated labels, like api.example.com)',
    ],
  },
  {
    name: 'one host twice in an environment (names compare lower-cased)',
    yaml: `${HEAD}  production: { listen: 127.0.0.1:8080, hosts: [api.example.com, API.example.com] }
`,
    issues: ["gantry.yaml:5:66 environments.production.hosts[1]: duplicate host 'api.example.com'"],
  },
  {
    name: 'tls.redirect_http on the address of another environment',
    yaml: `${HEAD}  production:
    listen: 127.0.0.1:8443
    tls: { cert: c.pem, key: k.pem, redirect_http: 127.0.0.1:8081 }
`,
    issues: [
      'gantry.yaml:7:52 environments.production.tls.redirect_http: address already used by environments.staging.listen',
    ],
  },
  {
    name: 'requires.passed naming an unknown environment',
    yaml: `${HEAD}  production: { listen: 127.0.0.1:8080, requires: { passed: stagng } }
`,
    issues: [
      "gantry.yaml:5:61 environments.production.requires.passed: unknown environment 'stagng' (did you mean 'staging'?)",
    ],
  },
  {
    name: 'requirements that form a cycle',
    yaml: `service: hello
run: { command: node server.js }
environments:
  staging: { listen: 127.0.0.1:8081, requires: { passed: production } }
  production: { listen: 127.0.0.1:8080, requires: { passed: staging } }
`,
    issues: [
      'gantry.yaml:4:58 environments.staging.requires.passed: requirements form a cycle: staging → production → staging',
    ],
  },
  {
    name: 'strategy given as the bare word canary',
    yaml: HEAD.replace('{ listen: 127.0.0.1:8081 }', '{ listen: 127.0.0.1:8081, strategy: canary }'),
    issues: [
      'gantry.yaml:4:48 environments.staging.strategy: expected `rolling`, `{ rolling: { max_surge } }` or `{ canary: { steps, analysis } }`',
    ],
  },
  {
    name: 'canary weight above 100',
    yaml: `${HEAD}  production:
    listen: 127.0.0.1:8080
    strategy:
      canary:
        steps:
          - { weight: 10, pause: 5m }
          - { weight: 200 }
`,
    issues: [
      'gantry.yaml:11:23 environments.production.strategy.canary.steps[1].weight: expected a number from 1 to 100',
    ],
  },
  {
    name: 'canary weights that do not go up, and a step check that does not exist',
    yaml: `${HEAD}  production:
    listen: 127.0.0.1:8080
    strategy:
      canary:
        steps:
          - { weight: 50, checks: [smok] }
          - { weight: 50 }
checks:
  smoke: { http: [{ path: /health }] }
`,
    issues: [
      "gantry.yaml:10:36 environments.production.strategy.canary.steps[0].checks[0]: unknown check 'smok' (did you mean 'smoke'?)",
      "gantry.yaml:11:23 environments.production.strategy.canary.steps[1].weight: expected a weight greater than the previous step's (50): weights only go up",
    ],
  },
  {
    name: 'error rate of 150%',
    yaml: `${HEAD}  production:
    listen: 127.0.0.1:8080
    strategy: { canary: { steps: [{ weight: 100 }], analysis: { max_error_rate: 150% } } }
`,
    issues: [
      'gantry.yaml:7:81 environments.production.strategy.canary.analysis.max_error_rate: expected a rate: a percentage like 1% or a fraction from 0 to 1',
    ],
  },
  {
    name: 'secret reference in run.env',
    yaml: HEAD.replace(
      'run: { command: node server.js }',
      `run: { command: node server.js, env: { DB: "\${secret:DB_URL}" } }`,
    ),
    issues: [
      'gantry.yaml:2:44 run.env.DB: a secret reference is not allowed in env: use `secrets: [NAME]` to inject a secret into the environment',
    ],
  },
  {
    name: "secret reference in an environment's env",
    yaml: `${HEAD}  production:
    listen: 127.0.0.1:8080
    env:
      API_KEY: \${secret:API_KEY}
`,
    issues: [
      'gantry.yaml:8:16 environments.production.env.API_KEY: a secret reference is not allowed in env: use `secrets: [NAME]` to inject a secret into the environment',
    ],
  },
  {
    name: 'secret reference in a field that is not a secret',
    yaml: `${HEAD}checks:
  e2e: { command: "npm run e2e -- --token \${secret:TOKEN}" }
`,
    issues: [
      `gantry.yaml:6:19 checks.e2e.command: \`\${secret:…}\` references are allowed only in secret fields (triggers.github.secret, smtp.password, runtime.docker.registries[].password, and a notify channel's webhook_url, routing_key, url, secret or headers)`,
    ],
  },
  {
    name: 'malformed secret reference in a secret field',
    yaml: `${HEAD}triggers:
  github: { secret: "\${secret:github-secret}" }
`,
    issues: [
      `gantry.yaml:6:21 triggers.github.secret: expected a secret reference like \${secret:NAME}, where NAME has letters, digits and _ and does not start with a digit`,
    ],
  },
  {
    name: 'invalid variable names in env and secrets',
    yaml: `${HEAD}  production: { listen: 127.0.0.1:8080, secrets: [DB-URL], env: { 9LIVES: x } }
`,
    issues: [
      'gantry.yaml:5:51 environments.production.secrets[0]: expected an environment variable name: letters, digits and _, not starting with a digit',
      'gantry.yaml:5:67 environments.production.env.9LIVES: expected an environment variable name: letters, digits and _, not starting with a digit',
    ],
  },
  {
    name: 'deployment window with a bad day, time and zone',
    yaml: `${HEAD}  production:
    listen: 127.0.0.1:8080
    window: { days: [tues], from: "25:00", to: "04:00", tz: Europe/Berln }
`,
    issues: [
      "gantry.yaml:7:22 environments.production.window.days[0]: expected one of mon, tue, wed, thu, fri, sat, sun (did you mean 'tue'?)",
      'gantry.yaml:7:35 environments.production.window.from: expected a time like 02:00 (HH:MM, 24-hour clock)',
      "gantry.yaml:7:61 environments.production.window.tz: unknown time zone (did you mean 'Europe/Berlin'?): use an IANA name like UTC or Europe/Berlin",
    ],
  },
  {
    name: 'both window and windows',
    yaml: `${HEAD}  production:
    listen: 127.0.0.1:8080
    window: { from: "02:00", to: "04:00" }
    windows: [{ from: "02:00", to: "04:00" }]
`,
    issues: [
      'gantry.yaml:8:5 environments.production.windows: use either `window` (one) or `windows` (a list), not both',
    ],
  },
  {
    name: 'freezes ending before they start, or on a day that does not exist',
    yaml: `${HEAD}  production:
    listen: 127.0.0.1:8080
    freezes:
      - { from: 2026-12-20, to: 2026-12-01 }
      - { from: 2026-02-30, to: 2026-03-01 }
`,
    issues: [
      'gantry.yaml:8:33 environments.production.freezes[0].to: expected a date on or after `from` (2026-12-20)',
      'gantry.yaml:9:17 environments.production.freezes[1].from: expected a date like 2026-12-20 (YYYY-MM-DD): no such day',
    ],
  },
  {
    name: 'alarm with an unknown environment, metric and notify group',
    yaml: `${HEAD}notify:
  oncall: [{ type: webhook, url: "https://hooks.example.com/x" }]
alarms:
  - { name: errors, environment: prod, metric: http_5xx_rat, above: 1%, notify: [oncal] }
`,
    issues: [
      "gantry.yaml:8:34 alarms[0].environment: unknown environment 'prod': define it under `environments` (known: staging)",
      "gantry.yaml:8:48 alarms[0].metric: unknown metric 'http_5xx_rat' (did you mean 'http_5xx_rate'?)",
      "gantry.yaml:8:82 alarms[0].notify[0]: unknown notify group 'oncal' (did you mean 'oncall'?)",
    ],
  },
  {
    name: 'alarm with both thresholds and too many datapoints',
    yaml: `${HEAD}alarms:
  - name: errors
    environment: staging
    metric: http_5xx_rate
    above: 1%
    below: 0.5%
    evaluation_periods: 2
    datapoints_to_alarm: 3
`,
    issues: [
      'gantry.yaml:10:5 alarms[0].below: set only one of `above` or `below`; define two alarms for a band',
      'gantry.yaml:12:26 alarms[0].datapoints_to_alarm: expected at most evaluation_periods (2)',
    ],
  },
  {
    name: 'alarm period that is not whole seconds between 1s and 1h',
    yaml: `${HEAD}alarms:
  - { name: fast, environment: staging, metric: http_5xx_rate, above: 1%, period: 500ms }
  - { name: slow, environment: staging, metric: http_5xx_rate, above: 1%, period: 2h }
`,
    issues: [
      'gantry.yaml:6:83 alarms[0].period: expected whole seconds from 1s to 1h',
      'gantry.yaml:7:83 alarms[1].period: expected whole seconds from 1s to 1h',
    ],
  },
  {
    name: 'alarm without a threshold, counting a log pattern that does not exist',
    yaml: `${HEAD}alarms:
  - { name: payments, environment: staging, metric: "log_matches:payment-errors" }
`,
    issues: [
      'gantry.yaml:6:5 alarms[0]: set `above` or `below` (the threshold)',
      "gantry.yaml:6:53 alarms[0].metric: unknown log pattern 'payment-errors': define it under `logs.patterns`",
    ],
  },
  {
    name: 'duplicate alarm names',
    yaml: `${HEAD}alarms:
  - { name: errors, environment: staging, metric: http_5xx_rate, above: 1% }
  - { name: errors, environment: staging, metric: http_4xx_rate, above: 10% }
`,
    issues: ["gantry.yaml:7:13 alarms[1].name: duplicate alarm name 'errors' (first at alarms[0])"],
  },
  {
    name: 'synthetic and log pattern in unknown environments',
    yaml: `${HEAD}synthetics:
  - { name: up, environment: production, every: 30s, http: { path: /health } }
logs:
  patterns: [{ name: oops, environment: prod, match: oops }]
`,
    issues: [
      "gantry.yaml:6:30 synthetics[0].environment: unknown environment 'production': define it under `environments` (known: staging)",
      "gantry.yaml:8:41 logs.patterns[0].environment: unknown environment 'prod': define it under `environments` (known: staging)",
    ],
  },
  {
    name: 'email channel without smtp, and an unknown channel type',
    yaml: `${HEAD}notify:
  oncall:
    - { type: email, to: ops@example.com }
    - { type: teams, url: "https://x" }
`,
    issues: [
      'gantry.yaml:7:15 notify.oncall[0].type: an email channel needs an `smtp:` section (host, port, from) to send through',
      'gantry.yaml:8:15 notify.oncall[1].type: expected one of email, slack, pagerduty, webhook, sns',
    ],
  },
  {
    name: 'check with both http and command',
    yaml: `${HEAD}checks:
  smoke: { http: [{ path: /health }], command: "curl -f localhost" }
`,
    issues: [
      'gantry.yaml:6:39 checks.smoke.command: set only one of `http` or `command`; define two checks to have both',
    ],
  },
  {
    name: 'section of the wrong kind',
    yaml: `${HEAD}alarms: { name: errors }
health: []
`,
    issues: [
      'gantry.yaml:5:9 alarms: expected a list, got a mapping',
      'gantry.yaml:6:9 health: expected a mapping, got a list',
    ],
  },
];

describe('broken config files', () => {
  it('has a large table of cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases)('$name', ({ yaml, issues }) => {
    expect(problemsOf(yaml)).toEqual(issues);
  });
});

describe('reporting', () => {
  it('reports every problem of a file at once, sorted by position', () => {
    const yaml = `service: hello
run:
  comand: node server.js
environments:
  staging:
    listen: 127.0.0.1:8081
    instances: 0
    requires: { passed: qa }
alarms:
  - { name: a, environment: staging, metric: http_requests, below: 1, severity: P5 }
incidents: { open_at: P9 }
`;
    expect(problemsOf(yaml)).toEqual([
      'gantry.yaml:3:3 run: set `command` (to run a process) or `image` with `runtime: docker` (to run a container)',
      "gantry.yaml:3:3 run.comand: unknown key 'comand' (did you mean 'command'?)",
      'gantry.yaml:7:16 environments.staging.instances: expected a whole number from 1 to 1000',
      "gantry.yaml:8:25 environments.staging.requires.passed: unknown environment 'qa': define it under `environments` (known: staging)",
      'gantry.yaml:10:81 alarms[0].severity: expected one of P1, P2, P3, P4',
      'gantry.yaml:11:23 incidents.open_at: expected one of P1, P2, P3, P4',
    ]);
  });

  it('gives YAML syntax errors a position', () => {
    expect(problemsOf('service: hello\nrun:\n  command: [node, server.js\nenvironments: {}\n')).toEqual([
      'gantry.yaml:4:1 invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    expect(problemsOf('service: a\nservice: b\n')).toEqual([
      'gantry.yaml:2:1 invalid YAML: Map keys must be unique',
    ]);
  });

  it('explains an empty file and a file that is not a mapping', () => {
    expect(problemsOf('# nothing yet\n')).toEqual([
      'gantry.yaml:1:1 the file is empty: a gantry.yaml needs at least `service:`, `run: { command: … }` and `environments:` with one environment that has `listen: host:port`',
    ]);
    expect(problemsOf('- service: hello\n')).toEqual(['gantry.yaml:1:1 expected a mapping, got a list']);
  });

  it('never repeats a secret value in a message', () => {
    const problems = problemsOf(`${HEAD}smtp: { host: mail.local, from: a@b.c, user: u, password: 8765432109 }
notify:
  hooks: [{ type: webhook, url: "hunter2-not-a-url" }]
`);
    expect(problems).toEqual([
      'gantry.yaml:5:59 smtp.password: expected a password, got a number',
      `gantry.yaml:7:33 notify.hooks[0].url: expected an http(s) URL or a secret reference like \${secret:NAME}`,
    ]);
    expect(problems.join('\n')).not.toMatch(/8765432109|hunter2/);
  });

  it('is a GantryError with code CONFIG_INVALID whose details carry the issues', () => {
    let caught: unknown;
    try {
      parseConfig('service: hello\n', 'conf/gantry.yaml');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GantryError);
    const error = caught as ConfigError;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.status).toBe(422);
    expect(error.message).toBe(
      'conf/gantry.yaml:1:1 environments: missing required key: define at least one environment\n' +
        'conf/gantry.yaml:1:1 run: missing required key',
    );
    expect(error.toJSON().error.details?.issues).toEqual(error.issues);
    expect(error.issues[1]).toEqual({
      file: 'conf/gantry.yaml',
      line: 1,
      column: 1,
      path: 'run',
      message: 'missing required key',
    });
  });
});
