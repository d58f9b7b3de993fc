// The on-call page in a real browser (chromium via playwright-core) against a real Gantry server:
// who is on call now and next in each schedule, an override marked, and the next shifts; a
// screenshot goes to test-artifacts/web-oncall.png.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OncallResponse } from '../src/api/oncall-routes.ts';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import { ARTIFACTS_DIR, type Dashboard, hasChromium, openDashboard } from './helpers/browser.ts';
import { adminToken, tempDir, writeHelloConfig } from './helpers/gantry.ts';
import { requirePeer } from './helpers/peers.ts';

const mode = requirePeer(
  'chromium',
  hasChromium(),
  '/usr/bin/chromium not found (apt-get install -y chromium)',
);

describe.skipIf(mode === 'skip')('the on-call page in a real browser', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    tmp = await tempDir();
    // An override from an hour ago for a day: Cy is on call now whoever's week it is.
    const local = (ms: number) => new Date(Date.now() + ms).toISOString().slice(0, 16).replace('T', ' ');
    const cfg = await writeHelloConfig(tmp.dir, {
      extra: `oncall:
  schedules:
    - name: primary
      handoff: "mon 09:00"
      tz: UTC
      people: [{ name: Ana }, { name: Bo }, { name: Cy }]
      overrides: [{ person: Cy, from: "${local(-3_600_000)}", to: "${local(86_400_000)}" }]
    - name: nights
      rotation: daily
      handoff: "22:00"
      tz: America/New_York
      people: [{ name: Di }, { name: Ed }]`,
    });
    server = await startServer({
      config: cfg.file,
      dataDir: `${tmp.dir}/data`,
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    ({ dashboard, browser, page } = await openDashboard(server, tmp.dir, { height: 700 }));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  }, 60_000);

  it('shows who is on call now and next in each schedule, and the next shifts', async () => {
    const api = (await (
      await fetch(`${server.url}/api/v1/oncall?shifts=6`, {
        headers: { authorization: `Bearer ${adminToken(server.dataDir)}` },
      })
    ).json()) as OncallResponse;
    await page.goto(`${dashboard.url}/oncall`);
    const primary = page.locator('tr[data-oncall="primary"]');
    await primary.waitFor();
    expect(await primary.locator('[data-now]').textContent()).toBe('Cy override');
    const nights = page.locator('tr[data-oncall="nights"]');
    const expected = api.oncall.find((s) => s.schedule === 'nights');
    expect(await nights.locator('[data-now]').textContent()).toBe(expected?.now.person);
    expect(await nights.locator('[data-next]').textContent()).toBe(expected?.next.person);
    expect(await page.locator('tr[data-shift="nights"]').count()).toBe(6);
    expect(await page.locator('tr[data-shift="primary"]').count()).toBe(6);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'web-oncall.png'), fullPage: true });
  });
});
