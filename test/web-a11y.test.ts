// Dashboard accessibility in a real browser (chromium via playwright-core) against a real Gantry
// server with data on every page (two environments under load, a canary in flight, a finished
// release, an alarm that fired, the incident it opened, an SLO, log lines): axe-core (WCAG 2.0 and
// 2.1, levels A and AA) finds no violation on any page, each page has its own title, the nav marks
// the current page, a navigation moves the focus to the new page's heading, and only what changes
// on its own is a live region. The axe results go to test-artifacts/web-a11y.json.

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import { axe, describeViolations } from './helpers/axe.ts';
import { ARTIFACTS_DIR, type Dashboard, hasChromium, logIn, openDashboard } from './helpers/browser.ts';
import {
  ApiClient,
  adminToken,
  helloBuild,
  startPacedLoad,
  tempDir,
  waitFor,
  writeHelloConfig,
} from './helpers/gantry.ts';
import { requirePeer } from './helpers/peers.ts';

const mode = requirePeer(
  'chromium',
  hasChromium(),
  '/usr/bin/chromium not found (apt-get install -y chromium)',
);

// A canary that waits at its first step for as long as the test runs: its page shows the weight
// bar, the steps and the buttons.
const CANARY = `    strategy:
      canary:
        steps:
          - { weight: 50, pause: 10m }
          - { weight: 100 }`;

const EXTRA = `alarms:
  - { name: production-5xx, environment: production, metric: http_5xx_rate, above: 10%, period: 1s,
      evaluation_periods: 2, datapoints_to_alarm: 2, severity: P2 }
incidents: { open_at: P2 }
slos:
  - { name: staging-availability, environment: staging, objective: 99% }
oncall:
  schedules:
    - { name: primary, handoff: "mon 09:00", tz: Europe/Paris, people: [{ name: Ana }, { name: Bo }] }`;

describe.skipIf(mode === 'skip')('dashboard accessibility in a real browser', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let api: ApiClient;
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  let finishedRelease = '';
  let liveRelease = '';
  let incident = '';
  const loads: Array<{ stop: () => Promise<unknown> }> = [];
  const results: Record<string, Record<string, number>> = {};

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, { staging: CANARY, productionInstances: 1, extra: EXTRA });
    server = await startServer({
      config: cfg.file,
      dataDir: `${tmp.dir}/data`,
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    api = new ApiClient(server);
    for (const v of ['v1', 'v2'])
      expect((await api.upload(v, await helloBuild(tmp.dir, v))).status).toBe(201);
    finishedRelease = (await api.deploy('staging', 'v1')).id;
    expect((await api.waitRelease(finishedRelease)).release.state).toBe('succeeded');
    expect((await api.waitRelease((await api.deploy('production', 'v1')).id)).release.state).toBe(
      'succeeded',
    );
    loads.push(startPacedLoad(cfg.ports.staging, 20), startPacedLoad(cfg.ports.production, 20));
    // Production fails every request until its P2 alarm fires and opens an incident.
    const prod = (await api.status()).environments.find((e) => e.name === 'production');
    for (const inst of prod?.instances ?? [])
      await fetch(`http://127.0.0.1:${inst.port}/admin/errors?rate=1`, { method: 'POST' });
    incident = await waitFor(
      'an incident opened by the alarm',
      async () => {
        const res = await fetch(`${server.url}/api/v1/incidents?status=all`, { headers: api.headers() });
        const body = (await res.json()) as { incidents: Array<{ id: string }> };
        return body.incidents[0]?.id ?? false;
      },
      60_000,
    );
    for (const inst of prod?.instances ?? [])
      await fetch(`http://127.0.0.1:${inst.port}/admin/errors?rate=`, { method: 'POST' });
    liveRelease = (await api.deploy('staging', 'v2')).id;

    ({ dashboard, browser, page } = await openDashboard(server, tmp.dir, { height: 900 }));
  }, 240_000);

  afterAll(async () => {
    await writeFile(path.join(ARTIFACTS_DIR, 'web-a11y.json'), `${JSON.stringify(results, null, 2)}\n`).catch(
      () => undefined,
    );
    await Promise.all(loads.map((l) => l.stop()));
    await browser?.close();
    await dashboard?.close();
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  }, 60_000);

  /** Every page, with what to wait for so that it shows its data, and its title. */
  const pages: Array<{
    name: string;
    path: () => string;
    ready: (p: Page) => Promise<unknown>;
    title: () => string;
  }> = [
    {
      name: 'overview',
      path: () => '/',
      title: () => 'Overview · Gantry',
      ready: (p) =>
        p
          .locator('[data-env="staging"] tr[data-version="v1"] .metric-http_requests .value')
          .filter({ hasText: /\d/ })
          .waitFor(),
    },
    {
      name: 'environment',
      path: () => '/environments/staging',
      title: () => 'Environment staging · Gantry',
      ready: async (p) => {
        await p.locator('[data-chart="requests"] canvas').waitFor();
        await p.locator('[data-chart="latency"] canvas').waitFor();
      },
    },
    {
      name: 'releases',
      path: () => '/releases',
      title: () => 'Releases · Gantry',
      ready: (p) => p.locator(`tr[data-release="${liveRelease}"]`).waitFor(),
    },
    {
      name: 'release-live',
      path: () => `/releases/${liveRelease}`,
      title: () => `Release ${liveRelease} · Gantry`,
      ready: async (p) => {
        await p.locator('button[data-action="abort"]').waitFor();
        await p.locator('.weight', { hasText: '% of traffic on v2' }).waitFor();
      },
    },
    {
      name: 'release-finished',
      path: () => `/releases/${finishedRelease}`,
      title: () => `Release ${finishedRelease} · Gantry`,
      ready: (p) => p.locator('[data-state="succeeded"]').waitFor(),
    },
    {
      name: 'alarms',
      path: () => '/alarms',
      title: () => 'Alarms · Gantry',
      ready: async (p) => {
        await p.click('tr[data-alarm="production-5xx"] button:has-text("History")');
        await p.locator('[data-history="production-5xx"] tr').first().waitFor();
      },
    },
    {
      name: 'slos',
      path: () => '/slos',
      title: () => 'SLOs · Gantry',
      ready: async (p) => {
        await p.locator('tr[data-slo="staging-availability"]').waitFor();
        await p.locator('tr[data-dora="staging"]').waitFor();
        await p.locator('[data-burn-down="staging-availability"] canvas').waitFor();
      },
    },
    {
      name: 'incidents',
      path: () => '/incidents',
      title: () => 'Incidents · Gantry',
      ready: (p) => p.locator(`tr[data-incident="${incident}"]`).waitFor(),
    },
    {
      name: 'incident',
      path: () => `/incidents/${incident}`,
      title: () => `Incident ${incident} · Gantry`,
      ready: async (p) => {
        await p.locator('ol.timeline li').first().waitFor();
        await p.locator('pre.markdown', { hasNotText: 'Loading…' }).waitFor();
      },
    },
    {
      name: 'oncall',
      path: () => '/oncall',
      title: () => 'On call · Gantry',
      ready: (p) => p.locator('tr[data-shift="primary"]').first().waitFor(),
    },
    {
      name: 'logs',
      path: () => '/logs?environment=production',
      title: () => 'Logs · Gantry',
      ready: (p) => p.locator('.log').first().waitFor(),
    },
  ];

  for (const spec of pages) {
    it(`axe finds no WCAG 2 A/AA violation on the ${spec.name} page, titled for it`, async () => {
      await page.goto(`${dashboard.url}${spec.path()}`);
      await spec.ready(page);
      const violations = await axe(page);
      results[spec.name] = Object.fromEntries(violations.map((v) => [v.id, v.nodes.length]));
      await page.screenshot({ path: path.join(ARTIFACTS_DIR, `web-a11y-${spec.name}.png`), fullPage: true });
      expect(violations, describeViolations(violations)).toEqual([]);
      expect(await page.title()).toBe(spec.title());
    });
  }

  it('on a phone-sized screen, where the tables scroll sideways, axe finds no violation on any page', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    try {
      await logIn(phone, dashboard.url, adminToken(server.dataDir));
      const found: string[] = [];
      for (const spec of pages) {
        await phone.goto(`${dashboard.url}${spec.path()}`);
        await spec.ready(phone);
        const violations = await axe(phone);
        results[`${spec.name} (390 px)`] = Object.fromEntries(violations.map((v) => [v.id, v.nodes.length]));
        if (violations.length > 0) found.push(`${spec.name}:\n${describeViolations(violations)}`);
      }
      expect(found, found.join('\n')).toEqual([]);
    } finally {
      await phone.close();
    }
  }, 120_000);

  it('axe finds no violation on the login page, which has its own title and focuses the token field', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const anonymous = await context.newPage();
      await anonymous.goto(`${dashboard.url}/alarms`);
      await anonymous.locator('form[data-login]').waitFor();
      const violations = await axe(anonymous);
      results.login = Object.fromEntries(violations.map((v) => [v.id, v.nodes.length]));
      expect(violations, describeViolations(violations)).toEqual([]);
      expect(await anonymous.title()).toBe('Log in · Gantry');
      expect(await anonymous.evaluate('document.activeElement && document.activeElement.name')).toBe('token');
      // A wrong token: the error is announced (role=alert) and nothing else became live.
      await anonymous.fill('input[name="token"]', 'gantry_wrong');
      await anonymous.click('button[type="submit"]');
      await anonymous.locator('[data-login-error] [role="alert"]').waitFor();
      expect((await axe(anonymous)).map((v) => v.id)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the nav marks the current page with aria-current, and a navigation moves the focus to its heading', async () => {
    await page.goto(`${dashboard.url}/`);
    await page.locator('[data-env="staging"]').waitFor();
    const current = () =>
      page.evaluate(
        `[...document.querySelectorAll('nav a')].filter((a) => a.hasAttribute('aria-current')).map((a) => a.textContent + ': ' + a.getAttribute('aria-current'))`,
      );
    expect(await current()).toEqual(['Overview: page']);
    // A page's own link in the nav is marked, and no other is.
    for (const [link, heading] of [
      ['Releases', 'Releases'],
      ['Alarms', 'Alarms'],
      ['Logs', 'Logs'],
    ]) {
      await page.click(`nav a:has-text("${link}")`);
      await page.locator('main h1', { hasText: heading }).waitFor();
      expect(await current()).toEqual([`${link}: page`]);
      expect(await page.title()).toBe(`${heading} · Gantry`);
      expect(
        await page.evaluate(
          'document.activeElement && [document.activeElement.tagName, document.activeElement.textContent]',
        ),
      ).toEqual(['H1', heading]);
      expect((await axe(page)).map((v) => v.id)).toEqual([]);
    }
    // Following a link inside a page does the same; the nav marks the section the page is in.
    await page.click('nav a:has-text("Overview")');
    await page.locator('[data-env="staging"] h2 a').waitFor();
    await page.click('[data-env="staging"] h2 a');
    await page.locator('main h1', { hasText: 'staging' }).waitFor();
    expect(await page.evaluate('document.activeElement && document.activeElement.tagName')).toBe('H1');
    expect(await current()).toEqual(['Overview: true']);
    expect(await page.title()).toBe('Environment staging · Gantry');
    // The first page of a visit keeps the focus where the browser put it.
    await page.reload();
    await page.locator('main h1').waitFor();
    expect(await page.evaluate('document.activeElement && document.activeElement.tagName')).toBe('BODY');
  });

  it('a refresh keeps the keyboard focus where it was (the alarms page refreshes every 5 s)', async () => {
    await page.goto(`${dashboard.url}/alarms`);
    const history = page.locator('tr[data-alarm="production-5xx"] button', { hasText: 'History' });
    await history.focus();
    // Mark the button focused now: the refresh replaces it with a new one.
    await page.evaluate('document.activeElement.dataset.before = "1"');
    await page.locator('button[data-before]').waitFor({ state: 'detached', timeout: 15_000 });
    expect(
      await page.evaluate(
        'document.activeElement && [document.activeElement.textContent, document.activeElement.closest("tr")?.dataset.alarm]',
      ),
    ).toEqual(['History', 'production-5xx']);
  });

  it('only what changes on its own is a live region: not the whole page, and not the refreshed numbers', async () => {
    const liveRegions = (p: Page) =>
      p.evaluate(`[...document.querySelectorAll('[aria-live], [role="status"], [role="log"], [role="alert"], [role="timer"], [role="marquee"]')]
        .filter((e) => e.getAttribute('aria-live') !== 'off')
        .map((e) => e.tagName + (e.id ? '#' + e.id : '') + '.' + [...e.classList].join('.'))`);
    await page.goto(`${dashboard.url}/`);
    await page.locator('[data-env="staging"]').waitFor();
    // The overview refreshes every 3 s: none of it is announced.
    expect(await liveRegions(page)).toEqual([]);
    expect(await page.getAttribute('main', 'aria-live')).toBeNull();
    // The release followed live announces its state; the log search announces how many lines it found.
    await page.goto(`${dashboard.url}/releases/${liveRelease}`);
    await page.locator('[role="status"]', { hasText: 'live' }).waitFor();
    expect(await liveRegions(page)).toEqual(['SPAN.muted.small.live']);
    await page.goto(`${dashboard.url}/logs?environment=production`);
    await page.locator('[role="status"]', { hasText: /line\(s\)/ }).waitFor();
    expect(await liveRegions(page)).toEqual(['P.muted.small']);
    // The lines scroll: a keyboard reaches them, and they are named.
    const lines = page.locator('.log-lines');
    expect(await lines.getAttribute('tabindex')).toBe('0');
    expect(await lines.getAttribute('aria-label')).toBe('Log lines');
  });

  // Last: it changes the incident the pages above show.
  it('an open incident is acknowledged from its page, by the signed-in token', async () => {
    await page.goto(`${dashboard.url}/incidents/${incident}`);
    const ack = page.locator('button[data-action="ack"]');
    await ack.waitFor();
    await ack.click();
    await page.locator('.page-head + div', { hasText: /acknowledged .* by / }).waitFor();
    expect(await ack.count()).toBe(0);
    const res = await fetch(`${server.url}/api/v1/incidents/${incident}`, { headers: api.headers() });
    const { incident: view } = (await res.json()) as {
      incident: { status: string; acknowledgedBy: string | null };
    };
    expect(view.status).toBe('acknowledged');
    expect(view.acknowledgedBy).toBeTruthy();
  });
});
