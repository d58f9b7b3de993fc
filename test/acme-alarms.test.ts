// The built-in certificate alarms of an ACME environment, run by the real alarm engine on a clock
// the test moves: a healthy certificate is OK; under 14 days left, or 3 failed orders in a row,
// fire; a successful renewal resolves both. Environments without ACME get none.
import { describe, expect, it } from 'vitest';
import { type CertificateStatus, certificateAlarmRules, certificateDatapoint } from '../src/acme/index.ts';
import { createAlarmEngine } from '../src/alarms/engine.ts';
import { parseConfig } from '../src/config/index.ts';
import type { Clock } from '../src/lib/clock.ts';
import { createMetricsEngine } from '../src/metrics/engine.ts';
import { useStoreFixture } from './helpers/store.ts';

const fx = useStoreFixture();
const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);
const DAY = 86_400_000;
const loaded = parseConfig(
  `service: shop
run: { command: node server.js }
environments:
  staging: { listen: 127.0.0.1:18081 }
  production:
    listen: 127.0.0.1:18443
    hosts: [shop.test]
    tls: { acme: { email: ops@example.com }, redirect_http: 127.0.0.1:18080 }
incidents: { notify: [] }
`,
  '/srv/shop/gantry.yaml',
);

describe('certificate alarms', () => {
  it('are made for ACME environments only', () => {
    expect(
      certificateAlarmRules(loaded.config).map((r) => `${r.name} ${r.environment} ${r.severity}`),
    ).toEqual(['acme:certificate-expiry production P2', 'acme:renewal-failing production P3']);
  });

  it('fire on an expiring certificate and on failing orders, and resolve after a renewal', async () => {
    let now = T0 + 1_000;
    const clock: Clock = { now: () => now, sleep: () => new Promise(() => {}) };
    const status: CertificateStatus = {
      environment: 'production',
      hosts: ['shop.test'],
      notAfter: T0 + 30 * DAY,
      consecutiveFailures: 0,
      failuresTotal: 0,
    };
    const engine = createAlarmEngine({
      config: () => loaded,
      metrics: createMetricsEngine({ service: 'shop', clock }),
      store: await fx.open(),
      clock,
      extraMetrics: { datapoint: (q) => certificateDatapoint([status], q) },
    });
    const states = async () => {
      now += 60_000;
      await engine.tick();
      return engine
        .statuses()
        .filter((s) => s.alarm.startsWith('acme:'))
        .map((s) => `${s.alarm} ${s.state}`);
    };

    expect(await states()).toEqual(['acme:certificate-expiry OK', 'acme:renewal-failing OK']);
    status.consecutiveFailures = 2;
    status.failuresTotal = 2;
    expect(await states()).toEqual(['acme:certificate-expiry OK', 'acme:renewal-failing OK']);
    status.consecutiveFailures = 3;
    status.failuresTotal = 3;
    status.notAfter = now + 13 * DAY;
    expect(await states()).toEqual(['acme:certificate-expiry ALARM', 'acme:renewal-failing ALARM']);
    status.consecutiveFailures = 0;
    status.notAfter = now + 90 * DAY;
    expect(await states()).toEqual(['acme:certificate-expiry OK', 'acme:renewal-failing OK']);
  });
});
