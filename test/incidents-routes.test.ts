// The incident routes over a real manager and SQLite store: through fastify's inject(), and through
// `gantry incidents …` against the same routes listening on a loopback port.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AlarmTransition } from '../src/alarms/types.ts';
import {
  type IncidentActionResponse,
  type IncidentDetailResponse,
  type IncidentListResponse,
  incidentRouteDocs,
  registerIncidentRoutes,
} from '../src/api/incident-routes.ts';
import { runCli } from '../src/cli/program.ts';
import { parseConfig } from '../src/config/index.ts';
import { createIncidentManager } from '../src/incidents/index.ts';
import type { IncidentManager, IncidentStats } from '../src/incidents/types.ts';
import { openStore, type Store } from '../src/store/index.ts';

const T0 = Date.UTC(2026, 4, 5, 12, 0, 0);
const MIN = 60_000;

let now = T0;
let store: Store;
let incidents: IncidentManager;
let app: FastifyInstance;
let id: string;

const config = parseConfig(
  `service: shop
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:18080 }
incidents: { open_at: P2 }
`,
  '/srv/shop/gantry.yaml',
);

function transition(over: Partial<AlarmTransition> = {}): AlarmTransition {
  return {
    id: `alt_${now}`,
    service: 'shop',
    alarm: 'high-5xx',
    environment: 'production',
    metric: 'http_5xx_rate',
    severity: 'P2',
    from: 'OK',
    to: 'ALARM',
    at: new Date(now).toISOString(),
    reason: 'http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s',
    datapoints: [0.004, 0.042, 0.051],
    threshold: { above: 0.01 },
    notify: ['oncall'],
    runbook: null,
    description: null,
    ...over,
  };
}

beforeEach(async () => {
  now = T0;
  const clock = { now: () => now };
  store = await openStore({ kind: 'sqlite', path: ':memory:', clock });
  incidents = createIncidentManager({
    config: () => config,
    store,
    clock,
    externalUrl: 'http://gantry.test',
  });
  await incidents.onTransition(transition());
  const [first] = await incidents.list({ limit: 1 });
  id = first?.id as string;
  now = T0 + MIN;
  app = Fastify({ logger: false });
  registerIncidentRoutes(app, {
    incidents,
    clock,
    principal: (req) => (req.headers['x-test-user'] as string | undefined) ?? undefined,
  });
});

afterEach(async () => {
  await app.close();
  await incidents.idle();
  await store.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: `/api/v1/incidents/${path}`, payload: body as object, headers });

describe('the incident API', () => {
  it('lists incidents and shows one with its timeline and response times', async () => {
    const list = await app.inject({
      method: 'GET',
      url: '/api/v1/incidents?status=open&environment=production',
    });
    expect(list.statusCode).toBe(200);
    expect((list.json() as IncidentListResponse).incidents.map((i) => i.id)).toEqual([id]);
    const none = await app.inject({ method: 'GET', url: '/api/v1/incidents?status=resolved' });
    expect((none.json() as IncidentListResponse).incidents).toEqual([]);

    const res = await app.inject({ method: 'GET', url: `/api/v1/incidents/${id}` });
    expect(res.statusCode).toBe(200);
    const body = res.json() as IncidentDetailResponse;
    expect(body.incident).toMatchObject({
      id,
      title: '[shop] [P2] high-5xx in production',
      url: `http://gantry.test/api/v1/incidents/${id}`,
      mttaMs: null,
      mttrMs: null,
    });
    expect(body.timeline.map((e) => e.type)).toEqual(['opened', 'alarm']);
  });

  it('acknowledges, assigns, annotates and resolves; a second resolve is a 409', async () => {
    const ack = await post(`${id}/ack`, {}, { 'x-test-user': 'alice' });
    expect(ack.statusCode).toBe(200);
    expect((ack.json() as IncidentActionResponse).incident).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'alice',
      mttaMs: MIN,
    });
    const again = await post(`${id}/ack`, { by: 'carol' });
    expect(again.statusCode).toBe(409);

    expect((await post(`${id}/assign`, { assignee: 'carol', by: 'alice' })).json()).toMatchObject({
      incident: { assignee: 'carol' },
    });
    expect((await post(`${id}/notes`, { text: 'rolling back to v1' })).statusCode).toBe(200);

    now = T0 + 10 * MIN;
    const resolved = await post(`${id}/resolve`, {
      by: 'bob',
      resolution: 'rolled back to v1',
      rootCause: 'v2 leaks DB connections',
    });
    expect(resolved.statusCode).toBe(200);
    expect((resolved.json() as IncidentActionResponse).incident).toMatchObject({
      status: 'resolved',
      resolvedBy: 'bob',
      resolution: 'rolled back to v1',
      rootCause: 'v2 leaks DB connections',
      mttrMs: 10 * MIN,
    });

    const second = await post(`${id}/resolve`, { by: 'bob' });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toEqual({
      error: {
        code: 'INVALID_INCIDENT_STATE',
        message: `incident ${id} was already resolved by bob at 2026-05-05 12:10:00 UTC`,
        hint: 'See the incident with `gantry incidents show ID`: the action does not apply to its current status.',
        details: { incidentId: id, status: 'resolved' },
      },
    });

    const { timeline } = (
      await app.inject({ method: 'GET', url: `/api/v1/incidents/${id}` })
    ).json() as IncidentDetailResponse;
    expect(timeline.map((e) => `${e.type}: ${e.message}`).slice(2)).toEqual([
      'ack: acknowledged by alice',
      'assign: assigned to carol by alice',
      'note: note by api: rolling back to v1',
      'resolved: resolved by bob: rolled back to v1',
    ]);
  });

  it('answers the post-mortem as Markdown and the statistics as JSON', async () => {
    const md = await app.inject({ method: 'GET', url: `/api/v1/incidents/${id}/postmortem` });
    expect(md.statusCode).toBe(200);
    expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(md.body).toMatch(/^# \[shop\] \[P2\] high-5xx in production\n/);
    expect(md.body).toContain('\n## Root cause\n');

    const stats = await app.inject({ method: 'GET', url: '/api/v1/incidents/stats?since=-1h' });
    expect(stats.statusCode).toBe(200);
    expect(stats.json() as IncidentStats).toMatchObject({
      since: new Date(T0 + MIN - 60 * MIN).toISOString(),
      total: 1,
      byStatus: { open: 1 },
    });
  });

  it('answers 404 for an unknown incident and 400 for a bad request', async () => {
    const missing = await app.inject({ method: 'GET', url: '/api/v1/incidents/inc_nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({
      error: { code: 'UNKNOWN_INCIDENT', message: 'incident inc_nope does not exist' },
    });
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/incidents/inc_nope/postmortem' })).statusCode,
    ).toBe(404);
    const badStatus = await app.inject({ method: 'GET', url: '/api/v1/incidents?status=closed' });
    expect(badStatus.statusCode).toBe(400);
    expect(badStatus.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    expect((await post(`${id}/notes`, { text: '' })).statusCode).toBe(400);
    expect((await post(`${id}/assign`, {})).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/v1/incidents/stats?since=soon' })).statusCode).toBe(
      400,
    );
  });

  it('documents every route it registers', () => {
    expect(incidentRouteDocs.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v1/incidents',
      'GET /api/v1/incidents/stats',
      'GET /api/v1/incidents/:id',
      'GET /api/v1/incidents/:id/postmortem',
      'POST /api/v1/incidents/:id/ack',
      'POST /api/v1/incidents/:id/resolve',
      'POST /api/v1/incidents/:id/assign',
      'POST /api/v1/incidents/:id/notes',
    ]);
    // The OpenAPI document is generated from these schemas.
    for (const r of incidentRouteDocs) {
      const schema = r.body ?? r.query;
      if (schema) expect(z.toJSONSchema(schema, { io: 'input' })).toMatchObject({ type: 'object' });
    }
  });
});

describe('gantry incidents', () => {
  let address: string | undefined;

  beforeEach(() => {
    address = undefined;
  });

  async function run(args: string[], env: Record<string, string> = {}) {
    address ??= await app.listen({ host: '127.0.0.1', port: 0 });
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      env: { GANTRY_URL: address, GANTRY_TOKEN: 'test-token', ...env },
    });
    return { code, stdout, stderr };
  }

  it('lists, shows the timeline and prints the post-mortem', async () => {
    const list = await run(['incidents']);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    const [header, row] = list.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+SEVERITY\s+STATUS\s+ENVIRONMENT\s+OPENED\s+DURATION\s+ASSIGNEE\s+ALARMS$/);
    expect(row).toMatch(new RegExp(`^${id}\\s+P2\\s+open\\s+production\\s+.*\\s+ongoing\\s+-\\s+high-5xx$`));
    expect((await run(['incidents', 'list', '--status', 'resolved'])).stdout).toBe('no incidents\n');
    expect((await run(['incidents', '--status', 'resolved'])).stdout).toBe('no incidents\n');

    const show = await run(['incidents', 'show', id]);
    expect(show.code).toBe(0);
    const lines = show.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('[shop] [P2] high-5xx in production');
    expect(lines).toContain('timeline');
    expect(lines.slice(-2)).toEqual([
      expect.stringMatching(/^\d\d:\d\d:\d\d {2}incident opened by alarm high-5xx \(P2\) in production$/),
      expect.stringMatching(/^\d\d:\d\d:\d\d {2}alarm high-5xx → ALARM: http_5xx_rate 4\.2% > 1% in 2 of/),
    ]);

    const pm = await run(['incidents', 'show', id, '--postmortem']);
    expect(pm.code).toBe(0);
    expect(pm.stdout).toMatch(/^# \[shop\] \[P2\] high-5xx in production\n/);
    expect(pm.stdout).toContain('\n## Timeline\n');

    const json = await run(['incidents', 'show', id, '--json']);
    expect((JSON.parse(json.stdout) as IncidentDetailResponse).incident.id).toBe(id);
  });

  it('acts on an incident, exits 1 on a second resolve and 2 on bad usage', async () => {
    expect(await run(['incidents', 'ack', id], { GANTRY_USER: 'alice' })).toMatchObject({
      code: 0,
      stdout: `✔ ${id} acknowledged by alice (MTTA 1 m 00 s)\n`,
    });
    expect((await run(['incidents', 'assign', id, '--to', 'carol'])).stdout).toBe(
      `✔ ${id} assigned to carol\n`,
    );
    expect((await run(['incidents', 'note', id, 'restarted', 'the', 'pool'])).code).toBe(0);
    now = T0 + 5 * MIN;
    const resolved = await run(['incidents', 'resolve', id, '--resolution', 'rolled back', '--by', 'bob']);
    expect(resolved.stdout).toBe(`✔ ${id} resolved by bob after 5 m 00 s\n`);
    const again = await run(['incidents', 'resolve', id, '--by', 'bob']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`error: incident ${id} was already resolved by bob`);
    expect(again.stderr).toContain('hint: See the incident with `gantry incidents show ID`');

    const { timeline } = await incidents.get(id);
    expect(timeline.find((e) => e.type === 'note')?.message).toMatch(/: restarted the pool$/);

    expect((await run(['incidents', 'list', '--status', 'closed'])).code).toBe(2);
    expect((await run(['incidents', 'assign', id])).code).toBe(2);
    const stats = await run(['incidents', 'stats', '--since', '7d']);
    expect(stats.stdout).toContain('MTTR  mean 5 m 00 s  median 5 m 00 s  (1 resolved)');
  });

  it('explains itself with --help and examples', async () => {
    const help = await run(['incidents', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('gantry incidents show inc_01abc --postmortem');
    const resolveHelp = await run(['incidents', 'resolve', '--help']);
    expect(resolveHelp.stdout).toContain('--root-cause <text>');
  });
});
