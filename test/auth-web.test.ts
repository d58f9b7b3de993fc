// The dashboard's login in a real browser: every page sends a stranger to the login page, a token
// buys an HttpOnly session cookie (no script can read it), the header says who is logged in, a
// viewer sees no button it may not use, and a revoked token or a logout leads back to the login.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import {
  ARTIFACTS_DIR,
  buildDashboard,
  type Dashboard,
  hasChromium,
  launchChromium,
  startDashboard,
} from './helpers/browser.ts';
import { ApiClient, tempDir, writeHelloConfig } from './helpers/gantry.ts';
import { requirePeer } from './helpers/peers.ts';

const mode = requirePeer(
  'chromium',
  hasChromium(),
  '/usr/bin/chromium not found (apt-get install -y chromium)',
);

const ALARMS = `alarms:
  - { name: staging-5xx, environment: staging, metric: http_5xx_rate, above: 5%, period: 10s,
      evaluation_periods: 3, datapoints_to_alarm: 2, severity: P3 }`;

describe.skipIf(mode === 'skip')('dashboard login in a real browser', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let api: ApiClient;
  let dashboard: Dashboard;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let viewer: { id: string; secret: string };

  const shot = (name: string) =>
    page.screenshot({ path: path.join(ARTIFACTS_DIR, `auth-${name}.png`), fullPage: true });

  const logInThroughPage = async (token: string) => {
    await page.locator('form[data-login] input[name="token"]').fill(token);
    await page.click('form[data-login] button[type="submit"]');
  };

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, { extra: ALARMS });
    server = await startServer({
      config: cfg.file,
      dataDir: `${tmp.dir}/data`,
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    api = new ApiClient(server);
    const created = await api.call<{ token: { id: string }; secret: string }>('POST', '/api/v1/tokens', {
      role: 'viewer',
      name: 'alice',
    });
    viewer = { id: created.body.token.id, secret: created.body.secret };
    const dist = path.join(tmp.dir, 'dist');
    buildDashboard(dist);
    dashboard = await startDashboard({ apiUrl: server.url, distDir: dist });
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  }, 60_000);

  it('sends a stranger to the login page, refuses a wrong token, and lets a viewer in where it was going', async () => {
    await page.goto(`${dashboard.url}/alarms`);
    await page.waitForURL(/\/login\?next=%2Falarms$/);
    await page.locator('form[data-login]').waitFor();
    await shot('login');

    await logInThroughPage('gantry_not-a-real-token');
    await page.locator('[data-login-error] [role="alert"]').waitFor();
    expect(await page.locator('[data-login-error]').textContent()).toMatch(/not a Gantry token/);
    expect(page.url()).toMatch(/\/login/);

    await logInThroughPage(viewer.secret);
    await page.waitForURL(`${dashboard.url}/alarms`);
    await page.locator('tr[data-alarm="staging-5xx"]').waitFor();
    expect(await page.locator('#who [data-user]').textContent()).toBe('alice · viewer');
    // A viewer sees no button that changes anything.
    expect(await page.locator('tr[data-alarm="staging-5xx"] button:has-text("Silence")').count()).toBe(0);
    expect(await page.locator('form.inline-form input[name="comment"]').count()).toBe(0);
    await shot('viewer-alarms');

    // The cookie is the session's, HttpOnly and SameSite=Strict: no script sees it, nor the token.
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'gantry_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(session?.value).not.toBe(viewer.secret);
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(
      await page.evaluate('JSON.stringify(localStorage) + JSON.stringify(sessionStorage)'),
    ).not.toContain('gantry_');
  });

  it('logging out leads to the login page and the old cookie opens nothing', async () => {
    const before = (await context.cookies()).find((c) => c.name === 'gantry_session');
    await page.click('#who [data-logout]');
    await page.waitForURL(/\/login/);
    expect((await context.cookies()).find((c) => c.name === 'gantry_session')).toBeUndefined();
    const replay = await fetch(`${server.url}/api/v1/status`, {
      headers: { cookie: `gantry_session=${before?.value}` },
    });
    expect(replay.status).toBe(401);
  });

  it('an admin sees the buttons; a revoked token sends the page back to the login', async () => {
    await page.goto(`${dashboard.url}/login?next=%2Falarms`);
    await logInThroughPage(api.token ?? '');
    await page.waitForURL(`${dashboard.url}/alarms`);
    expect(await page.locator('#who [data-user]').textContent()).toBe('bootstrap-admin · admin');
    await page.locator('tr[data-alarm="staging-5xx"] button:has-text("Silence")').waitFor();
    await shot('admin-alarms');
    await page.click('#who [data-logout]');
    await page.waitForURL(/\/login/);

    await logInThroughPage(viewer.secret);
    await page.waitForURL(`${dashboard.url}/`);
    await page.locator('[data-env="staging"]').waitFor();
    expect((await api.call('DELETE', `/api/v1/tokens/${viewer.id}`)).status).toBe(200);
    // The overview refreshes every few seconds: its next request is refused and the login shows.
    await page.waitForURL(/\/login\?next=%2F$/);
    await page.locator('form[data-login]').waitFor();
  });
});
