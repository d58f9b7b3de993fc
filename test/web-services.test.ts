// The dashboard on a server with several services, in a real browser (chromium via playwright-core)
// against a real Gantry server running two services (api: production; web: production and
// staging), each with its own version deployed and api's alarm firing: the overview of all
// services lists both with their counts, the header's service switcher changes what the overview,
// environment and releases pages show (and the address, which the back button follows and a later
// visit remembers), axe finds no WCAG 2 A/AA violation with the switcher; a server with one service
// shows no switcher and keeps its paths.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseRecord, StatusBody } from '../src/api/types.ts';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { packDirectory } from '../src/artifacts/index.ts';
import { silentLogger } from '../src/lib/log.ts';
import { axe, describeViolations } from './helpers/axe.ts';
import {
  ARTIFACTS_DIR,
  type Dashboard,
  hasChromium,
  logIn,
  openDashboard,
  startDashboard,
} from './helpers/browser.ts';
import {
  ApiClient,
  adminToken,
  freePort,
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

// The api service's production answers 5xx when told to: its alarm then fires and opens an incident.
const API_ALARM = `alarms:
  - { name: api-5xx, environment: production, metric: http_5xx_rate, above: 10%, period: 1s,
      evaluation_periods: 2, datapoints_to_alarm: 2, severity: P2 }
incidents: { open_at: P2 }
`;

function serviceFile(name: string, environments: Record<string, number>, extra = ''): string {
  const envs = Object.entries(environments).map(
    ([e, port]) => `  ${e}:\n    listen: 127.0.0.1:${port}\n    instances: 1\n`,
  );
  return `service: ${name}
run:
  command: node server.js
  env: { PATH: "${path.dirname(process.execPath)}:/usr/bin:/bin" }
  stop_timeout: 3s
  drain_timeout: 1s
health:
  readiness: { path: /readiness, interval: 100ms, timeout: 1s, failure_threshold: 2 }
  startup_timeout: 20s
environments:
${envs.join('')}${extra}`;
}

/** Uploads `version` of the hello app to `service` and deploys it to `environment`, to the end. */
async function deploy(api: ApiClient, service: string, environment: string, version: string, dir: string) {
  const base = `/api/v1/services/${service}`;
  const up = await fetch(`${api.base}${base}/versions/${version}/artifact`, {
    method: 'POST',
    headers: { ...api.headers(), 'content-type': 'application/gzip' },
    body: Readable.toWeb(packDirectory(await helloBuild(dir, `${service}-${version}`))) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  expect(up.status).toBe(201);
  const r = await api.call<{ release: ReleaseRecord }>('POST', `${base}/releases`, { environment, version });
  expect(r.status).toBe(201);
  for (let i = 0; ; i++) {
    const d = await api.call<{ release: ReleaseRecord }>('GET', `${base}/releases/${r.body.release.id}`);
    if (d.body.release.finishedAt) {
      expect(d.body.release.state).toBe('succeeded');
      return;
    }
    if (i > 600) throw new Error(`release of ${service} ${version} still ${d.body.release.state}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe.skipIf(mode === 'skip')('the dashboard on a server with several services', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let multi: GantryServer;
  let single: GantryServer;
  let dashboard: Dashboard;
  let singleDashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  let singleContext: BrowserContext;
  let load: { stop: () => Promise<unknown> } | undefined;

  beforeAll(async () => {
    tmp = await tempDir();
    const servicesDir = path.join(tmp.dir, 'services');
    await mkdir(servicesDir);
    const apiPort = await freePort();
    await writeFile(
      path.join(servicesDir, 'api.yaml'),
      serviceFile('api', { production: apiPort }, API_ALARM),
    );
    await writeFile(
      path.join(servicesDir, 'web.yaml'),
      serviceFile('web', { production: await freePort(), staging: await freePort() }),
    );
    multi = await startServer({
      config: servicesDir,
      dataDir: path.join(tmp.dir, 'data'),
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    const api = new ApiClient(multi);
    await Promise.all([
      deploy(api, 'api', 'production', 'a1', tmp.dir),
      deploy(api, 'web', 'production', 'w1', tmp.dir),
    ]);
    // api's production fails every request, under load for as long as the test runs.
    const status = await api.call<StatusBody>('GET', '/api/v1/services/api/status');
    for (const inst of status.body.environments[0]?.instances ?? [])
      await fetch(`http://127.0.0.1:${inst.port}/admin/errors?rate=1`, { method: 'POST' });
    load = startPacedLoad(apiPort, 20);
    await waitFor(
      "the incident api's alarm opens",
      async () => {
        const r = await api.call<{ incidents: unknown[] }>(
          'GET',
          '/api/v1/services/api/incidents?status=active',
        );
        return r.body.incidents.length > 0;
      },
      60_000,
    );
    await mkdir(path.join(tmp.dir, 'single'));
    const cfg = await writeHelloConfig(path.join(tmp.dir, 'single'));
    single = await startServer({
      config: cfg.file,
      dataDir: path.join(tmp.dir, 'single', 'data'),
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });

    ({ dashboard, browser, page } = await openDashboard(multi, tmp.dir, { height: 900 }));
    // The same build against the single-service server, logged in from a context of its own (the
    // two dashboards are on one host: their session cookies would replace each other).
    singleDashboard = await startDashboard({ apiUrl: single.url, distDir: path.join(tmp.dir, 'dist') });
    singleContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  }, 240_000);

  afterAll(async () => {
    await load?.stop();
    await singleContext?.close();
    await browser?.close();
    await dashboard?.close();
    await singleDashboard?.close();
    await multi?.close({ stopInstances: true });
    await single?.close({ stopInstances: true });
    await tmp?.cleanup();
  }, 60_000);

  const pathOf = (p: Page) => new URL(p.url()).pathname + new URL(p.url()).search;
  const currentNav = (p: Page) =>
    p.evaluate(
      `[...document.querySelectorAll('nav a')].filter((a) => a.hasAttribute('aria-current')).map((a) => a.textContent + ': ' + a.getAttribute('aria-current'))`,
    );

  it('/ is the overview of all services: both, with their environments and the version each serves', async () => {
    await page.goto(`${dashboard.url}/`);
    await page.locator('[data-service="web"] tr[data-env="staging"]').waitFor();
    expect(pathOf(page)).toBe('/services');
    expect(await page.title()).toBe('All services · Gantry');
    expect(await currentNav(page)).toEqual(['All services: page']);
    const cell = (service: string, env: string) =>
      page
        .locator(`[data-service="${service}"] tr[data-env="${env}"] td[data-version]`)
        .getAttribute('data-version');
    expect(await cell('api', 'production')).toBe('a1');
    expect(await cell('web', 'production')).toBe('w1');
    expect(await cell('web', 'staging')).toBe('');
    expect(await page.locator('[data-service="api"] [data-env]').count()).toBe(1);
    // api's alarm fires and its incident is open; web has neither.
    const count = (service: string, what: string) =>
      page.locator(`[data-service="${service}"] [data-${what}]`).getAttribute(`data-${what}`);
    expect([await count('api', 'alarms'), await count('api', 'incidents')]).toEqual(['1', '1']);
    expect([await count('web', 'alarms'), await count('web', 'incidents')]).toEqual(['0', '0']);
    // The switcher is a labelled select offering the overview of all and each service.
    const switcher = page.getByLabel('Service', { exact: true });
    expect(await switcher.inputValue()).toBe('');
    expect(await page.locator('#service-switch option').allTextContents()).toEqual([
      'All services',
      'api',
      'web',
    ]);
    const violations = await axe(page);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'web-services-all.png'), fullPage: true });
    expect(violations, describeViolations(violations)).toEqual([]);
    // A service's name leads to its overview.
    await page.click('[data-service="web"] h2 a');
    await page.locator('[data-env="staging"]').waitFor();
    expect(pathOf(page)).toBe('/services/web');
    expect(await switcher.inputValue()).toBe('web');
  });

  it('the switcher shows the same page of the other service: its overview, releases and environment', async () => {
    const switcher = page.locator('#service-switch');
    await page.goto(`${dashboard.url}/services/api`);
    await page.locator('[data-env="production"] .badge', { hasText: 'a1' }).waitFor();
    expect(await page.locator('[data-env]').count()).toBe(1);
    expect(await page.title()).toBe('Overview · Gantry');
    expect(await currentNav(page)).toEqual(['Overview: page']);
    const violations = await axe(page);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'web-services-api.png'), fullPage: true });
    expect(violations, describeViolations(violations)).toEqual([]);

    await switcher.focus();
    await switcher.selectOption('web');
    await page.locator('[data-env="production"] .badge', { hasText: 'w1' }).waitFor();
    await page.locator('[data-env="staging"]').waitFor();
    expect(pathOf(page)).toBe('/services/web');
    // Choosing is not a change of context: the focus stays on the switcher.
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('service-switch');

    // The nav leads to the chosen service's pages.
    await page.click('nav a:has-text("Releases")');
    await page.locator('tr[data-release] td strong', { hasText: 'w1' }).waitFor();
    expect(pathOf(page)).toBe('/services/web/releases');
    expect(await currentNav(page)).toEqual(['Releases: page']);
    expect(await page.locator('tr[data-release] td strong', { hasText: 'a1' }).count()).toBe(0);
    await switcher.selectOption('api');
    await page.locator('tr[data-release] td strong', { hasText: 'a1' }).waitFor();
    expect(pathOf(page)).toBe('/services/api/releases');
    expect(await page.locator('tr[data-release] td strong', { hasText: 'w1' }).count()).toBe(0);
    // Links in a page stay in its service.
    expect(await page.locator('tr[data-release] a').first().getAttribute('href')).toMatch(
      /^\/services\/api\/releases\/rel_/,
    );
    // The back button goes back to the other service's releases.
    await page.goBack();
    await page.locator('tr[data-release] td strong', { hasText: 'w1' }).waitFor();
    expect(pathOf(page)).toBe('/services/web/releases');
    expect(await switcher.inputValue()).toBe('web');

    await page.goto(`${dashboard.url}/services/web/environments/production?range=6h`);
    await page.locator('.env-summary .badge', { hasText: 'w1' }).waitFor();
    expect(await page.title()).toBe('Environment production · Gantry');
    await switcher.selectOption('api');
    await page.locator('.env-summary .badge', { hasText: 'a1' }).waitFor();
    expect(pathOf(page)).toBe('/services/api/environments/production?range=6h');
    await page.locator('[data-chart="requests"][data-range="6h"]').waitFor();
    expect((await axe(page)).map((v) => v.id)).toEqual([]);
    // An environment the other service lacks: its overview instead.
    await page.goto(`${dashboard.url}/services/web/environments/staging`);
    await page.locator('.env-summary .badge').first().waitFor();
    await switcher.selectOption('api');
    await page.locator('[data-env="production"] .badge', { hasText: 'a1' }).waitFor();
    expect(pathOf(page)).toBe('/services/api');
    // And back to the overview of all.
    await switcher.selectOption('');
    await page.locator('[data-service="api"]').waitFor();
    expect(pathOf(page)).toBe('/services');
  });

  it('on a phone-sized screen, axe finds no violation on the overview of all nor with the switcher', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    try {
      await logIn(phone, dashboard.url, adminToken(multi.dataDir));
      await phone.goto(`${dashboard.url}/services`);
      await phone.locator('[data-service="web"] tr[data-env="staging"]').waitFor();
      const all = await axe(phone);
      expect(all, describeViolations(all)).toEqual([]);
      await phone.goto(`${dashboard.url}/services/web`);
      await phone.locator('[data-env="staging"]').waitFor();
      const one = await axe(phone);
      expect(one, describeViolations(one)).toEqual([]);
    } finally {
      await phone.close();
    }
  });

  it('a page whose address names no service shows the one shown last', async () => {
    await page.goto(`${dashboard.url}/services/web/alarms`);
    await page.locator('main h1', { hasText: 'Alarms' }).waitFor();
    await page.goto(`${dashboard.url}/releases`);
    await page.locator('tr[data-release] td strong', { hasText: 'w1' }).waitFor();
    expect(pathOf(page)).toBe('/services/web/releases');
    // An old link to one of the single-service pages, after logging in: the same.
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const p = await fresh.newPage();
      await p.goto(`${dashboard.url}/logs`);
      await p.fill('input[name="token"]', adminToken(multi.dataDir));
      await p.click('button[type="submit"]');
      await p.locator('main h1', { hasText: 'Logs' }).waitFor();
      expect(new URL(p.url()).pathname).toBe('/services/api/logs');
      expect(await p.locator('#service-switch').inputValue()).toBe('api');
      expect(await p.locator('[role="alert"]').count()).toBe(0);
    } finally {
      await fresh.close();
    }
  });

  it('a server with one service shows no switcher and keeps its paths', async () => {
    const p = await singleContext.newPage();
    await logIn(p, singleDashboard.url, adminToken(single.dataDir));
    await p.goto(`${singleDashboard.url}/`);
    await p.locator('[data-env="staging"]').waitFor();
    expect(pathOf(p)).toBe('/');
    expect(await p.locator('#service-switch').count()).toBe(0);
    expect(await p.locator('#service').textContent()).toBe('hello');
    expect(await p.locator('nav a:has-text("All services")').isHidden()).toBe(true);
    expect(await p.locator('nav a:has-text("Releases")').getAttribute('href')).toBe('/releases');
    await p.click('nav a:has-text("Releases")');
    await p.locator('main h1', { hasText: 'Releases' }).waitFor();
    expect(pathOf(p)).toBe('/releases');
    await p.screenshot({ path: path.join(ARTIFACTS_DIR, 'web-services-single.png'), fullPage: true });
  });
});
