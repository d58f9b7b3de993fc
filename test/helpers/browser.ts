// The dashboard in a real browser: builds web/ with Vite into a temp dir, serves it with the
// dashboard's own routes on a loopback port (proxying /api to a Gantry server, as the real server
// will serve both), and drives Debian's chromium through playwright-core.
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Fastify from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { registerWebRoutes } from '../../src/api/web-routes.ts';
import { adminToken, repoRoot } from './gantry.ts';
import { hasExecutable } from './peers.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];
export const ARTIFACTS_DIR = path.join(repoRoot, 'test-artifacts');

export const hasChromium = () => hasExecutable(CHROMIUM);

/** Builds the dashboard from web/ into `outDir` (so a test never runs on a stale web/dist). */
export function buildDashboard(outDir: string): void {
  const vite = path.join(repoRoot, 'node_modules/vite/bin/vite.js');
  const r = spawnSync(
    process.execPath,
    [
      vite,
      'build',
      '--config',
      'web/vite.config.ts',
      '--outDir',
      outDir,
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ],
    { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 },
  );
  if (r.status !== 0)
    throw new Error(`vite build failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

/** Serves `distDir` with registerWebRoutes and forwards /api/* (SSE included) to `apiUrl`. */
export async function startDashboard(opts: { apiUrl: string; distDir: string }): Promise<Dashboard> {
  const api = new URL(opts.apiUrl);
  const proxy = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const up = http.request(
      {
        host: api.hostname,
        port: api.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: api.host },
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${err.message}`);
    });
    res.on('close', () => up.destroy());
    req.pipe(up);
  };
  const app = Fastify({
    logger: false,
    serverFactory: (handler) =>
      http.createServer((req, res) => (req.url?.startsWith('/api/') ? proxy(req, res) : handler(req, res))),
  });
  await registerWebRoutes(app, { distDir: opts.distDir });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}

/**
 * Logs the page's browser context in to the dashboard at `url` with `token` (POST /api/v1/session,
 * as the login page does): the session cookie is then sent by every page, fetch and EventSource.
 */
export async function logIn(page: Page, url: string, token: string): Promise<void> {
  const res = await page.request.post(`${url}/api/v1/session`, { data: { token } });
  if (!res.ok()) throw new Error(`dashboard login failed: ${res.status()} ${await res.text()}`);
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
}

/**
 * The dashboard of a running server in a logged-in browser page: builds web/ into `dir/dist`, serves
 * it against the server's API, launches chromium and logs a page in with the admin token.
 */
export async function openDashboard(
  server: { url: string; dataDir: string },
  dir: string,
  opts: { height: number; timeoutMs?: number },
): Promise<{ dashboard: Dashboard; browser: Browser; page: Page }> {
  const dist = path.join(dir, 'dist');
  buildDashboard(dist);
  const dashboard = await startDashboard({ apiUrl: server.url, distDir: dist });
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: opts.height } });
  await logIn(page, dashboard.url, adminToken(server.dataDir));
  page.setDefaultTimeout(opts.timeoutMs ?? 30_000);
  return { dashboard, browser, page };
}

export interface ChartData {
  canvas: boolean;
  /** Points on the time axis. */
  xs: number;
  /** Positive values of the first series. */
  values: number;
}

/** What the uPlot chart of `[data-chart=name]` holds (evaluated in the page). */
export async function chartData(page: Page, name: string): Promise<ChartData> {
  // A string, not a function: the test's tsconfig has no DOM types.
  return (await page.evaluate(`(() => {
    const el = document.querySelector('[data-chart="${name}"]');
    const data = (el && el.uplot && el.uplot.data) || [];
    return {
      canvas: Boolean(el && el.querySelector('canvas')),
      xs: data[0] ? data[0].length : 0,
      values: (data[1] || []).filter((v) => typeof v === 'number' && v > 0).length,
    };
  })()`)) as ChartData;
}
