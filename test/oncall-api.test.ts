// On-call from gantry.yaml to GET /api/v1/oncall and `gantry oncall`: the schema's checks with the
// key they name, and who is on call at a given instant over a real loopback server.
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerOncallRoutes } from '../src/api/oncall-routes.ts';
import { runCli } from '../src/cli/program.ts';
import { ConfigError, formatIssue, parseConfig } from '../src/config/index.ts';

const HEAD = `service: hello
run: { command: node server.js }
environments:
  staging: { listen: 127.0.0.1:8081 }
`;

const ONCALL = `oncall:
  schedules:
    - name: primary
      rotation: weekly
      handoff: "mon 09:00"
      tz: Europe/Berlin
      start: 2026-01-05
      people:
        - { name: Ana, notify: [{ type: email, to: ana@example.com }] }
        - { name: Bo, notify: [{ type: webhook, url: "http://127.0.0.1:9/bo" }] }
      overrides:
        - { person: Ana, from: "2026-03-26 18:00", to: "2026-03-27 09:00" }
  escalation:
    - { after: 0m, notify: schedule:primary }
    - { after: 15m, notify: [{ type: email, to: lead@example.com }] }
smtp: { host: 127.0.0.1, from: gantry@example.com }
`;

function problemsOf(yaml: string): string[] {
  try {
    parseConfig(yaml, 'gantry.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map(formatIssue);
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('oncall: in gantry.yaml', () => {
  it('reads schedules and escalation steps', () => {
    const { oncall } = parseConfig(HEAD + ONCALL, 'gantry.yaml').config;
    expect(oncall.schedules[0]).toMatchObject({ name: 'primary', rotation: 'weekly', tz: 'Europe/Berlin' });
    expect(oncall.escalation).toEqual([
      { after: 0, notify: { schedule: 'primary' } },
      { after: 900_000, notify: [{ type: 'email', to: 'lead@example.com' }] },
    ]);
    expect(parseConfig(HEAD, 'gantry.yaml').config.oncall).toEqual({ schedules: [], escalation: [] });
  });

  it('names the key and what to write for each mistake', () => {
    const broken = ONCALL.replace('"mon 09:00"', '"09:00"')
      .replace('Europe/Berlin', 'Europe/Berln')
      .replace('person: Ana', 'person: Cy');
    expect(problemsOf(HEAD + broken)).toEqual([
      'gantry.yaml:9:7 oncall.schedules[0].handoff: a weekly rotation needs the weekday, like "mon 09:00"',
      'gantry.yaml:10:7 oncall.schedules[0].tz: unknown time zone "Europe/Berln": use an IANA name like Europe/Berlin or UTC',
      'gantry.yaml:16:13 oncall.schedules[0].overrides[0].person: Cy is not in people: (people: Ana, Bo)',
    ]);
    expect(problemsOf(HEAD + ONCALL.replace(/^smtp:.*\n/m, ''))).toEqual([
      'gantry.yaml:13:41 oncall.schedules[0].people[0].notify[0].type: an email channel needs an `smtp:` section (host, port, from) to send through',
      'gantry.yaml:19:38 oncall.escalation[1].notify[0].type: an email channel needs an `smtp:` section (host, port, from) to send through',
    ]);
    expect(problemsOf(HEAD + ONCALL.replace('schedule:primary', 'schedule:secondary'))).toEqual([
      'gantry.yaml:18:20 oncall.escalation[0].notify: no schedule secondary (schedules: primary)',
    ]);
  });
});

async function serve() {
  const { oncall } = parseConfig(HEAD + ONCALL, 'gantry.yaml').config;
  const app = Fastify();
  registerOncallRoutes(app, {
    schedules: () => oncall.schedules,
    now: () => Date.parse('2026-03-25T12:00:00Z'),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return app;
}

describe('GET /api/v1/oncall', () => {
  it('answers who is on call now and next, overrides included, without notify channels', async () => {
    const app = await serve();
    const res = await app.inject({ url: '/api/v1/oncall' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      at: '2026-03-25T12:00:00.000Z',
      oncall: [
        {
          schedule: 'primary',
          rotation: 'weekly',
          handoff: 'mon 09:00',
          tz: 'Europe/Berlin',
          now: {
            person: 'Bo',
            from: '2026-03-23T08:00:00.000Z',
            to: '2026-03-26T17:00:00.000Z',
            override: false,
          },
          next: {
            person: 'Ana',
            from: '2026-03-26T17:00:00.000Z',
            to: '2026-03-27T08:00:00.000Z',
            override: true,
          },
          shifts: [
            {
              person: 'Bo',
              from: '2026-03-23T08:00:00.000Z',
              to: '2026-03-26T17:00:00.000Z',
              override: false,
            },
            {
              person: 'Ana',
              from: '2026-03-26T17:00:00.000Z',
              to: '2026-03-27T08:00:00.000Z',
              override: true,
            },
          ],
        },
      ],
    });
    expect(res.body).not.toContain('example.com');
    const later = await app.inject({ url: '/api/v1/oncall?at=2026-03-31T12:00:00Z&shifts=1' });
    expect(later.json().oncall[0].now).toMatchObject({ person: 'Ana', from: '2026-03-30T07:00:00.000Z' });
    expect(later.json().oncall[0].shifts).toHaveLength(1);
    expect((await app.inject({ url: '/api/v1/oncall?schedule=nights' })).json()).toMatchObject({
      error: { message: expect.stringContaining('no on-call schedule nights (schedules: primary)') },
    });
    expect((await app.inject({ url: '/api/v1/oncall?shifts=999' })).statusCode).toBe(400);
    await app.close();
  });

  it('is printed by gantry oncall in the schedule zone', async () => {
    const app = await serve();
    const run = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(['oncall', ...args], {
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: (s: string) => (stderr += s) },
        env: {
          GANTRY_URL: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
          GANTRY_TOKEN: 'test-token',
          GANTRY_USER: 'alice',
        },
      });
      return { code, stdout, stderr };
    };
    const now = await run([]);
    expect(now.code).toBe(0);
    expect(now.stdout).toMatch(/primary\s+Bo\s+Thu 2026-03-26 18:00\s+Ana \(override\)\s+Europe\/Berlin/);
    const list = await run(['--shifts', '3']);
    expect(list.stdout).toMatch(
      /Ana \(override\)\s+Thu 2026-03-26 18:00\s+Fri 2026-03-27 09:00[^\n]*\nprimary\s+Bo\s+Fri 2026-03-27 09:00\s+Mon 2026-03-30 09:00/,
    );
    const bad = await run(['--shifts', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--shifts: expected a whole number from 1 to 52');
    await app.close();
  });
});
