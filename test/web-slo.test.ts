// The SLOs page in a real browser (chromium via playwright-core) against a real Gantry server with
// the hello example: an SLO whose budget errors through the proxy overspent, shown in red, its
// burn-down chart, and the DORA table; a screenshot goes to test-artifacts/web-slos.png.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import { ARTIFACTS_DIR, type Dashboard, hasChromium, openDashboard } from './helpers/browser.ts';
import { ApiClient, helloBuild, tempDir, writeHelloConfig } from './helpers/gantry.ts';
import { requirePeer } from './helpers/peers.ts';

const mode = requirePeer(
  'chromium',
  hasChromium(),
  '/usr/bin/chromium not found (apt-get install -y chromium)',
);

describe.skipIf(mode === 'skip')('the SLOs page in a real browser', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, {
      productionInstances: 1,
      extra: `slos:
  - { name: staging-availability, environment: staging, objective: 99% }
  - { name: staging-latency, environment: staging, objective: 90%, threshold: 500ms, window: 7d }`,
    });
    server = await startServer({
      config: cfg.file,
      dataDir: `${tmp.dir}/data`,
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    const api = new ApiClient(server);
    expect((await api.upload('v1', await helloBuild(tmp.dir, 'v1'))).status).toBe(201);
    expect((await api.waitRelease((await api.deploy('staging', 'v1')).id)).release.state).toBe('succeeded');
    for (let i = 0; i < 50; i++) await fetch(`http://127.0.0.1:${cfg.ports.staging}/`);
    const env = (await api.status()).environments.find((e) => e.name === 'staging');
    for (const inst of env?.instances ?? [])
      await fetch(`http://127.0.0.1:${inst.port}/admin/errors?rate=1`, { method: 'POST' });
    for (let i = 0; i < 5; i++) await fetch(`http://127.0.0.1:${cfg.ports.staging}/`);

    ({ dashboard, browser, page } = await openDashboard(server, tmp.dir, { height: 700 }));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  }, 60_000);

  it('shows each SLO with its overspent budget in red, and the DORA table', async () => {
    await page.goto(`${dashboard.url}/slos`);
    const row = page.locator('tr[data-slo="staging-availability"]');
    await row.waitFor();
    // 5 bad of 55 against 0.55 allowed: 1 − 5/0.55 ≈ −809.1 %.
    expect(await row.locator('td').nth(2).textContent()).toBe('50 / 55');
    expect(await row.locator('[data-budget] .badge, [data-budget] span').first().textContent()).toBe(
      '-809.1%',
    );
    expect(await row.locator('[data-budget] span').first().getAttribute('class')).toContain('bad');
    await page.locator('tr[data-slo="staging-latency"]').waitFor();
    await page.locator('tr[data-dora="staging"]').waitFor();
    // The burn-down: 60 points, and the release to staging as a marker.
    const chart = page.locator('[data-burn-down="staging-availability"]');
    await chart.locator('canvas').waitFor();
    expect(await chart.getAttribute('data-points')).toBe('60');
    expect(await chart.locator('h3').textContent()).toBe('staging-availability: error budget left (30d)');
    expect(await page.locator('tr[data-dora="staging"] td').nth(1).textContent()).toBe('1');
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'web-slos.png'), fullPage: true });
  });
});
