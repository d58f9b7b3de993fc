// The CLI's canary side against a real loopback HTTP server with canned, correctly shaped bodies:
// release abort|pause|resume|promote, the live canary view of --wait/watch, and status.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type {
  CanaryStepEventData,
  CheckEventData,
  ControlEventData,
  ReleaseAction,
  ReleaseEventRecord,
  ReleaseRecord,
  StatusBody,
  VerdictEventData,
} from '../src/api/types.ts';
import { formatPercent, formatSpan } from '../src/cli/canary-format.ts';
import { CanaryStatus } from '../src/cli/canary-status.ts';
import { runCli } from '../src/cli/program.ts';

interface Seen {
  method: string;
  path: string;
  body: string;
}
type Handler = (res: ServerResponse, body: string) => void;

const seen: Seen[] = [];
const routes = new Map<string, Handler>();
let server: http.Server;
let url = '';

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = '';
  for await (const c of req) body += String(c);
  const path = new URL(req.url ?? '/', url).pathname;
  seen.push({ method: req.method ?? '', path, body });
  const route = routes.get(`${req.method} ${path}`);
  if (route) route(res, body);
  else sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${path}` } });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function run(argv: string[], tty = false): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: tty, columns: 400 },
    stderr: { write: (s: string) => (stderr += s), isTTY: tty },
    env: { GANTRY_URL: url, GANTRY_DATA_DIR: '/nonexistent/gantry-cli-canary-test' },
  });
  return { code, stdout, stderr };
}

const T0 = Date.parse('2026-05-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function canaryRelease(over: Partial<ReleaseRecord> = {}): ReleaseRecord {
  return {
    id: 'rel_can1',
    service: 'shop',
    environment: 'production',
    kind: 'release',
    version: 'v2',
    previousVersion: 'v1',
    strategy: 'canary',
    state: 'progressing',
    reason: null,
    message: null,
    plan: { newInstanceIds: ['production-v2-aa11'], oldInstanceIds: [], step: 2, weight: 25, steps: 4 },
    ref: 'refs/tags/v2',
    createdBy: null,
    createdAt: at(0),
    updatedAt: at(0),
    finishedAt: null,
    ...over,
  };
}

let seq = 0;
function ev(
  seconds: number,
  type: string,
  data: object | null,
  state: ReleaseEventRecord['state'] = null,
): ReleaseEventRecord {
  seq++;
  return {
    releaseId: 'rel_can1',
    seq,
    at: at(seconds),
    type,
    state,
    message: `${type} event ${seq}`,
    data: data as Record<string, unknown> | null,
  };
}

const step = (n: number, weight: number, pauseMin: number | null, startS: number, checks: string[] = []) =>
  ({
    step: n,
    steps: 4,
    weight,
    pauseMs: pauseMin === null ? null : pauseMin * 60_000,
    stepEndsAt: pauseMin === null ? null : at(startS + pauseMin * 60),
    checks,
  }) satisfies CanaryStepEventData;

function verdict(over: Partial<VerdictEventData> & { endsAt: number }): VerdictEventData {
  const { endsAt, ...rest } = over;
  return {
    step: 2,
    steps: 4,
    weight: 25,
    phase: 'pass',
    summary: 'all checks pass',
    canary: { version: 'v2', requests: 312, errors: 1, errorRate: 0.003, p50: 40, p99: 180 },
    baseline: { version: 'v1', requests: 940, errors: 2, errorRate: 0.002, p50: 38, p99: 175 },
    checks: [],
    window: { from: at(0), to: at(10) },
    stepEndsAt: at(endsAt),
    decisive: false,
    ...rest,
  };
}

function canaryEvents(): ReleaseEventRecord[] {
  seq = 0;
  return [
    ev(0, 'state', null, 'progressing'),
    ev(1, 'canary.step', step(1, 10, 5, 1)),
    ev(
      31,
      'verdict',
      verdict({ step: 1, weight: 10, phase: 'inconclusive', summary: 'only 12 of 50 requests', endsAt: 301 }),
    ),
    ev(302, 'canary.step', step(2, 25, 10, 302, ['smoke'])),
    ev(303, 'check', {
      step: 2,
      check: 'smoke',
      ok: true,
      message: '1/1 requests answered 200',
    } satisfies CheckEventData),
    ev(532, 'verdict', verdict({ endsAt: 902 })),
    ev(540, 'control', { action: 'pause', reason: 'maintenance', by: 'alice' } satisfies ControlEventData),
    ev(540, 'state', null, 'paused'),
    ev(600, 'control', { action: 'resume', reason: null, by: null } satisfies ControlEventData),
    ev(600, 'state', null, 'progressing'),
    ev(
      612,
      'verdict',
      verdict({
        phase: 'fail',
        summary: 'canary 5xx rate 4.2 % > limit 1 %',
        canary: { version: 'v2', requests: 400, errors: 17, errorRate: 0.0425, p50: 41, p99: 620 },
        endsAt: 902,
        decisive: true,
      }),
    ),
    ev(612, 'state', null, 'rolling_back'),
    ev(615, 'state', null, 'rolled_back'),
  ];
}

const ROLLED_BACK = canaryRelease({
  state: 'rolled_back',
  reason: 'AnalysisFailed',
  message: 'step 2/4 (25 %): canary 5xx rate 4.2 % > limit 1 % (n=400); all traffic back on v1',
  finishedAt: at(615),
});

function serveStream(events: ReleaseEventRecord[], end: ReleaseRecord, keepOpenMs = 0): void {
  routes.set('GET /api/v1/releases/rel_can1', (res) =>
    sendJson(res, 200, {
      release: canaryRelease({ plan: { newInstanceIds: [], oldInstanceIds: [] } }),
      events: [],
    }),
  );
  routes.set('GET /api/v1/releases/rel_can1/events', (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const e of events) res.write(`event: release-event\nid: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`);
    const finish = () => res.end(`event: end\ndata: ${JSON.stringify(end)}\n\n`);
    if (keepOpenMs > 0) setTimeout(finish, keepOpenMs);
    else finish();
  });
}

beforeAll(async () => {
  server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
  routes.clear();
});

describe('release abort|pause|resume|promote', () => {
  const answers: Array<[ReleaseAction, ReleaseRecord, string]> = [
    ['pause', canaryRelease({ state: 'paused' }), 'release rel_can1 paused at step 2/4 (25 %)'],
    ['resume', canaryRelease(), 'release rel_can1 resumed at step 2/4 (25 %); now progressing'],
    [
      'promote',
      canaryRelease({ state: 'promoting' }),
      'release rel_can1 promoted at step 2/4 (25 %); now promoting',
    ],
    [
      'abort',
      canaryRelease({ state: 'rolling_back' }),
      'release rel_can1 aborted at step 2/4 (25 %); now rolling back',
    ],
  ];

  it.each(answers)(
    '%s posts { reason } to its path and prints where the release stands',
    async (action, rel, line) => {
      routes.set(`POST /api/v1/releases/rel_can1/${action}`, (res) => sendJson(res, 200, { release: rel }));
      const r = await run(['release', action, 'rel_can1', '--reason', 'checkout looks slow']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([`POST /api/v1/releases/rel_can1/${action}`]);
      expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ reason: 'checkout looks slow' });
      expect(r.stdout).toBe(`${line}\nfollow it with: gantry watch rel_can1\n`);
    },
  );

  it('sends an empty body without --reason; --json prints the response body', async () => {
    const body = { release: canaryRelease({ state: 'paused' }) };
    routes.set('POST /api/v1/releases/rel_can1/pause', (res) => sendJson(res, 200, body));
    const r = await run(['release', 'pause', 'rel_can1', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({});
    expect(JSON.parse(r.stdout)).toEqual(body);
    const global = await run(['release', '--json', 'pause', 'rel_can1']);
    expect(JSON.parse(global.stdout)).toEqual(body);
  });

  it('a release without steps is described by its state only', async () => {
    const rolling = canaryRelease({
      strategy: 'rolling',
      state: 'aborted',
      finishedAt: at(9),
      plan: { newInstanceIds: [], oldInstanceIds: [] },
    });
    routes.set('POST /api/v1/releases/rel_can1/abort', (res) => sendJson(res, 200, { release: rolling }));
    const r = await run(['release', 'abort', 'rel_can1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('release rel_can1 aborted\n');
  });

  it('409 INVALID_RELEASE_STATE is a failed operation (exit 1) with the server message and hint', async () => {
    routes.set('POST /api/v1/releases/rel_can1/resume', (res) =>
      sendJson(res, 409, {
        error: {
          code: 'INVALID_RELEASE_STATE',
          message: 'release rel_can1 is progressing, not paused: nothing to resume',
          hint: 'See the release with `gantry watch ID`.',
        },
      }),
    );
    const r = await run(['release', 'resume', 'rel_can1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: release rel_can1 is progressing, not paused: nothing to resume\nhint: See the release with `gantry watch ID`.\n',
    );
    const j = await run(['release', 'resume', 'rel_can1', '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ error: { code: 'INVALID_RELEASE_STATE' } });
  });

  it('an unknown release (404) is bad input (exit 2)', async () => {
    const r = await run(['release', 'abort', 'rel_nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: no route /api/v1/releases/rel_nope/abort');
  });

  it.each(['abort', 'pause', 'resume', 'promote'])(
    'release %s --help shows an example and --reason',
    async (action) => {
      const r = await run(['release', action, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`$ gantry release ${action} rel_`);
      expect(r.stdout).toContain('--reason <text>');
      expect(r.stdout).toContain('--json');
    },
  );

  it('release --help lists the actions and still the --ref form', async () => {
    const r = await run(['release', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--ref <ref>');
    expect(r.stdout).toMatch(/pause \[options\] <release-id>/);
    expect(r.stdout).toContain('gantry release abort|pause|resume|promote <release-id>');
  });

  it.each([
    ['no release id', ['release', 'pause'], /missing required argument 'release-id'/],
    [
      'an unknown action word',
      ['release', 'paws', 'rel_can1'],
      /unknown release action 'paws': use abort, pause/,
    ],
    [
      'the ref form without --ref',
      ['release', '--version', 'v2', '--image', 'x'],
      /required option '--ref <ref>'/,
    ],
    [
      'a branch ref without --version or a commit',
      ['release', '--ref', 'refs/heads/main'],
      /cannot name the version of refs\/heads\/main: .*pass --commit SHA/,
    ],
    ['nothing at all', ['release'], /required option '--ref <ref>'/],
  ])('%s is a usage error (exit 2)', async (_name, argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(seen).toHaveLength(0);
  });

  it('release --ref --image records the image, then starts the release', async () => {
    const digest = `sha256:${'e'.repeat(64)}`;
    routes.set('POST /api/v1/versions/v2/image', (res) =>
      sendJson(res, 201, {
        created: true,
        version: {
          service: 'shop',
          version: 'v2',
          artifactKind: 'image',
          image: `registry.local/shop@${digest}`,
          digest,
          sha256: 'e'.repeat(64),
          sizeBytes: null,
          gitRef: 'refs/tags/v2',
          gitCommit: null,
          createdAt: '2026-05-01T12:02:59.000Z',
        },
      }),
    );
    routes.set('POST /api/v1/releases', (res) =>
      sendJson(res, 201, {
        release: canaryRelease({ state: 'pending' }),
        chosenBy: 'tag v2 matches production track.tag v*',
      }),
    );
    const r = await run([
      'release',
      '--ref',
      'refs/tags/v2',
      '--version',
      'v2',
      '--image',
      'registry.local/shop:v2',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'POST /api/v1/versions/v2/image',
      'POST /api/v1/releases',
    ]);
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ image: 'registry.local/shop:v2', ref: 'refs/tags/v2' });
    expect(JSON.parse(seen[1]?.body ?? '')).toEqual({ ref: 'refs/tags/v2', version: 'v2' });
    expect(r.stdout).toContain(`pulled v2: registry.local/shop@${digest}`);
    expect(r.stdout).toContain('release rel_can1 started: production → v2 (canary)');
    expect(r.stdout).toContain('environment production chosen: tag v2 matches production track.tag v*');
  });
});

describe('live canary view', () => {
  it('prints steps, verdicts with both sides, checks and operator actions; a rollback exits 1', async () => {
    serveStream(canaryEvents(), ROLLED_BACK);
    const r = await run(['watch', 'rel_can1']);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    const line = (text: string) => lines.find((l) => l.includes(text));
    expect(lines[0]).toBe('release rel_can1: production v1 → v2 (canary), progressing');
    expect(line('step 1/4:')).toMatch(/ progressing {2}step 1\/4: 10 % of traffic to v2 for 5m$/);
    expect(line('step 2/4:')).toMatch(/step 2\/4: 25 % of traffic to v2 for 10m \(checks: smoke\)$/);
    expect(line('only 12 of 50')).toMatch(
      / 10 % {2}canary 312 req 0\.3 % 5xx p99 180 ms \| stable 940 req 0\.2 % 5xx p99 175 ms {2}inconclusive: only 12 of 50 requests {2}\(4m 30s left\)$/,
    );
    expect(line(' pass ')).toMatch(
      /progressing {3}25 % {2}canary 312 req 0\.3 % 5xx p99 180 ms \| stable 940 req 0\.2 % 5xx p99 175 ms {2}pass {2}\(6m 10s left\)$/,
    );
    expect(line('check smoke')).toMatch(/check smoke passed: 1\/1 requests answered 200$/);
    expect(line('paused by')).toMatch(/paused by alice \(maintenance\)$/);
    expect(line('resumed by')).toMatch(/resumed by an operator$/);
    expect(line('4.25 %')).toMatch(
      /canary 400 req 4\.25 % 5xx p99 620 ms .* fail: canary 5xx rate 4\.2 % > limit 1 %/,
    );
    expect(r.stdout).toMatch(/\d\d:\d\d:\d\d rolling back state event \d+\n/);
    expect(r.stdout).toMatch(/\d\d:\d\d:\d\d paused {7}state event/);
    expect(lines.at(-2)).toBe(`✘ release rel_can1 rolled back: ${ROLLED_BACK.message}`);
  });

  it('ends a successful canary with its steps and duration (exit 0)', async () => {
    seq = 0;
    const events = [
      ev(0, 'state', null, 'progressing'),
      ev(1, 'canary.step', step(1, 10, 5, 1)),
      ev(301, 'canary.step', step(4, 100, null, 301)),
      ev(700, 'state', null, 'promoting'),
      ev(723, 'state', null, 'succeeded'),
    ];
    const done = canaryRelease({
      state: 'succeeded',
      finishedAt: at(723),
      plan: { newInstanceIds: [], oldInstanceIds: [] },
    });
    serveStream(events, done);
    const r = await run(['watch', 'rel_can1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/step 4\/4: 100 % of traffic to v2\n/);
    expect(r.stdout).toMatch(/\d\d:\d\d:\d\d promoting {4}state event/);
    expect(r.stdout.endsWith('✔ production now serves v2 (4 steps, 12m 3s)\n')).toBe(true);
  });

  it('--wait --json keeps one JSON object per line: the events, then the release', async () => {
    routes.set('POST /api/v1/promote', (res) =>
      sendJson(res, 201, { release: canaryRelease({ state: 'pending' }) }),
    );
    const events = canaryEvents();
    serveStream(events, ROLLED_BACK);
    const r = await run(['promote', '--from', 'staging', '--to', 'production', '--wait', '--json']);
    expect(r.code).toBe(1);
    const parsed = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(parsed.slice(0, -1)).toEqual(events);
    expect(parsed.at(-1)).toEqual(ROLLED_BACK);
    expect(seen.some((s) => s.path === '/api/v1/releases/rel_can1')).toBe(false);
  });

  it('on a terminal keeps the latest verdict and the countdown in the status line', async () => {
    const now = Date.now();
    const soon = (s: number) => new Date(now + s * 1000).toISOString();
    const live = (e: ReleaseEventRecord) => ({
      ...e,
      at: new Date(now).toISOString(),
      data: { ...e.data, stepEndsAt: soon(600) },
    });
    const events = [
      ev(0, 'state', null, 'progressing'),
      live(ev(0, 'canary.step', step(2, 25, 10, 0, ['smoke']))),
      live(ev(0, 'verdict', verdict({ endsAt: 0 }))),
      live(ev(0, 'verdict', verdict({ endsAt: 0 }))),
      live(ev(0, 'verdict', verdict({ phase: 'inconclusive', summary: 'too few requests', endsAt: 0 }))),
    ].map((e, i) => ({ ...e, seq: i + 1 }));
    serveStream(events, canaryRelease({ state: 'succeeded', finishedAt: at(723) }));
    const r = await run(['watch', 'rel_can1'], true);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /rel_can1 progressing · step 2\/4 25 % · canary 312 req 0\.3 % 5xx p99 180 ms \| stable 940 req 0\.2 % 5xx p99 175 ms · pass · (9m 5\ds|10m) left · /,
    );
    expect(r.stdout).toMatch(/· inconclusive: too few requests · (9m 5\ds|10m) left · /);
    // The repeated pass verdict lives in the status line; only phase changes become lines.
    expect(r.stdout.match(/ {2}pass {2}\((9m 5\ds|10m) left\)\n/g)).toHaveLength(1);
    expect(r.stdout.match(/ {2}inconclusive: too few requests {2}\((9m 5\ds|10m) left\)\n/g)).toHaveLength(1);
    expect(r.stdout.endsWith('✔ production now serves v2 (4 steps, 12m 3s)\n')).toBe(true);
  });

  it('shows the message of a canary event whose data it cannot read', async () => {
    seq = 0;
    serveStream([ev(0, 'verdict', { weight: 'lots' }), ev(1, 'canary.step', null)], ROLLED_BACK);
    const r = await run(['watch', 'rel_can1']);
    expect(r.stdout).toContain('verdict event 1\n');
    expect(r.stdout).toContain('canary.step event 2\n');
  });
});

describe('status', () => {
  it("shows the active canary's step and weight", async () => {
    const body: StatusBody = {
      service: 'shop',
      server: { version: '0.1.0', startedAt: at(0), dataDir: '.gantry' },
      environments: [
        {
          service: 'shop',
          name: 'production',
          url: 'http://127.0.0.1:8080',
          listen: '127.0.0.1:8080',
          currentVersion: 'v1',
          currentReleaseId: 'rel_old',
          strategy: 'canary',
          desiredInstances: 2,
          readyInstances: 2,
          instances: [],
          activeRelease: canaryRelease(),
          track: { tag: ['v*'] },
          requires: null,
        },
      ],
    };
    routes.set('GET /api/v1/status', (res) => sendJson(res, 200, body));
    const r = await run(['status']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /production\s+http:\/\/127\.0\.0\.1:8080\s+v1\s+2\/2 ready\s+rel_can1 release → v2 \(progressing, step 2\/4, 25 %\)/,
    );
  });
});

describe('canary status line', () => {
  it('counts the step down from stepEndsAt on the local clock, only while the canary runs', () => {
    seq = 0;
    const status = new CanaryStatus();
    expect(status.observe(ev(0, 'canary.step', step(2, 25, 10, 0)))).toBe(true);
    expect(status.text('progressing', T0)).toBe('step 2/4 25 % · 10m left');
    expect(status.text('progressing', T0 + 250_000)).toBe('step 2/4 25 % · 5m 50s left');
    expect(status.text('progressing', T0 + 599_001)).toBe('step 2/4 25 % · 1s left');
    expect(status.text('progressing', T0 + 600_000)).toBe('step 2/4 25 %');
    expect(status.observe(ev(30, 'verdict', verdict({ endsAt: 600 })))).toBe(true);
    expect(status.observe(ev(40, 'verdict', verdict({ endsAt: 600 })))).toBe(false);
    expect(status.observe(ev(50, 'verdict', verdict({ endsAt: 600, decisive: true })))).toBe(true);
    expect(status.text('paused', T0 + 60_000)).toBe(
      'step 2/4 25 % · canary 312 req 0.3 % 5xx p99 180 ms | stable 940 req 0.2 % 5xx p99 175 ms · pass',
    );
    expect(status.text('rolling_back', T0)).toBe('');
    expect(status.steps).toBe(4);
  });
});

describe('canary formatting', () => {
  it.each([
    [45_000, '45s'],
    [600_000, '10m'],
    [370_000, '6m 10s'],
    [723_000, '12m 3s'],
    [3_900_000, '1h 5m'],
    [7_200_000, '2h'],
  ])('formatSpan(%d) is %s', (ms, text) => {
    expect(formatSpan(ms)).toBe(text);
  });

  it.each([
    [0, '0 %'],
    [0.003, '0.3 %'],
    [0.0004, '0.04 %'],
    [0.0425, '4.25 %'],
    [0.25, '25 %'],
    [1, '100 %'],
  ])('formatPercent(%d) is %s', (rate, text) => {
    expect(formatPercent(rate)).toBe(text);
  });
});
