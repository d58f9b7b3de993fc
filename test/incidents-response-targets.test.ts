// Response-time targets: the alarm incident:response over a real SQLite store and the real alarm
// engine on a clock the test moves. A P2 incident left open past its 15 minutes fires it;
// acknowledging the incident resolves it; the guide's targets apply when respond_within is {}.
import { afterEach, describe, expect, it } from 'vitest';
import { type AlarmEngine, createAlarmEngine } from '../src/alarms/engine.ts';
import type { AlarmTransition } from '../src/alarms/types.ts';
import { parseConfig } from '../src/config/index.ts';
import {
  DEFAULT_RESPONSE_TARGETS,
  overdueIncidents,
  responseTargetRules,
} from '../src/incidents/response-targets.ts';
import type { Clock } from '../src/lib/clock.ts';
import { createMetricsEngine } from '../src/metrics/engine.ts';
import type { IncidentRecord } from '../src/store/types.ts';
import { useStoreFixture } from './helpers/store.ts';

const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);
const MINUTE = 60_000;
const fixture = useStoreFixture();
const engines: AlarmEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
});

function clockAt(start: number): Clock & { set(t: number): void } {
  let now = start;
  let timers: Array<{ at: number; wake: () => void }> = [];
  return {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const timer = { at: now + ms, wake: resolve };
        timers.push(timer);
        signal?.addEventListener('abort', () => {
          timers = timers.filter((t) => t !== timer);
          reject(signal.reason);
        });
      });
    },
    set(t) {
      now = t;
      const due = timers.filter((x) => x.at <= t);
      timers = timers.filter((x) => x.at > t);
      for (const x of due) x.wake();
    },
  };
}

const YAML = `service: shop
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:18080 }
notify:
  leads: [{ type: webhook, url: "http://127.0.0.1:9/leads" }]
incidents:
  respond_within: {}
  notify: [leads]
`;

function incident(over: Partial<IncidentRecord>): IncidentRecord {
  return { severity: 'P2', status: 'open', openedAt: new Date(T0).toISOString(), ...over } as IncidentRecord;
}

describe('response-time targets', () => {
  it("take the guide's targets and count open incidents past theirs", () => {
    const { config } = parseConfig(YAML, 'gantry.yaml');
    expect(config.incidents.respond_within).toEqual(DEFAULT_RESPONSE_TARGETS);
    expect(DEFAULT_RESPONSE_TARGETS).toEqual({ P1: 15 * MINUTE, P2: 15 * MINUTE, P3: 60 * MINUTE, P4: null });
    const list = [
      incident({ id: 'a', severity: 'P1' }),
      incident({ id: 'b', severity: 'P3' }),
      incident({ id: 'c', severity: 'P4' }),
      incident({ id: 'd', severity: 'P1', status: 'acknowledged' }),
    ];
    const ids = (at: number) => overdueIncidents(list, DEFAULT_RESPONSE_TARGETS, at).map((i) => i.id);
    expect(ids(T0 + 15 * MINUTE - 1)).toEqual([]);
    expect(ids(T0 + 15 * MINUTE)).toEqual(['a']);
    expect(ids(T0 + 24 * 60 * MINUTE)).toEqual(['a', 'b']);
    expect(responseTargetRules(config)).toMatchObject([
      { name: 'incident:response', environment: 'production', severity: 'P2', notify: ['leads'] },
    ]);
    // Without respond_within there is no such alarm.
    const { config: plain } = parseConfig(YAML.replace('  respond_within: {}\n', ''), 'gantry.yaml');
    expect(responseTargetRules(plain)).toEqual([]);
    const { config: custom } = parseConfig(
      YAML.replace('respond_within: {}', 'respond_within: { P4: 8h, P2: none }'),
      'gantry.yaml',
    );
    expect(custom.incidents.respond_within).toEqual({
      P1: 15 * MINUTE,
      P2: null,
      P3: 60 * MINUTE,
      P4: 8 * 60 * MINUTE,
    });
  });

  it('fire the alarm incident:response when an incident is not acknowledged in time, and resolve on ack', async () => {
    const clock = clockAt(T0);
    const store = await fixture.open(`${fixture.dir()}/gantry.db`);
    const loaded = parseConfig(YAML, `${fixture.dir()}/gantry.yaml`);
    const engine = createAlarmEngine({
      config: () => loaded,
      metrics: createMetricsEngine({ service: 'shop', clock }),
      store,
      clock,
    });
    engines.push(engine);
    const seen: AlarmTransition[] = [];
    engine.subscribe((t) => seen.push(t));
    await engine.start();
    const { incident: opened } = await store.incidents.open(
      {
        id: 'inc_1',
        service: 'shop',
        environment: 'production',
        description: 'high-5xx fired',
        severity: 'P2',
        openedAt: new Date(T0).toISOString(),
        alarm: 'high-5xx',
      },
      [],
    );
    const at = async (t: number) => {
      clock.set(t);
      await engine.tick();
    };
    await at(T0 + 14 * MINUTE + 5_000);
    expect(seen.filter((t) => t.to === 'ALARM')).toEqual([]);
    await at(T0 + 16 * MINUTE + 5_000);
    const fired = seen.find((t) => t.to === 'ALARM');
    expect(fired).toMatchObject({
      alarm: 'incident:response',
      environment: 'production',
      severity: 'P2',
      notify: ['leads'],
    });
    expect(fired?.description).toBe(
      'an incident was not acknowledged within its response target (P1 within 15m, P2 within 15m, P3 within 60m)',
    );

    await store.incidents.update(opened.id, {
      set: { status: 'acknowledged', acknowledgedAt: new Date(clock.now()).toISOString() },
    });
    await at(T0 + 18 * MINUTE + 5_000);
    expect(seen.at(-1)).toMatchObject({ alarm: 'incident:response', from: 'ALARM', to: 'OK' });
  });
});
