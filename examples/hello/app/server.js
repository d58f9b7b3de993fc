// hello: the example service Gantry deploys. Plain Node, no dependencies.
// Endpoints: / · /health · /readiness · /api/items (GET, POST echo) · /slow?ms=N ·
// POST /admin/readiness?ready=false|true (take the instance out of traffic and back) ·
// POST /admin/errors?rate=0.5 (fail that share of requests from now on; ?rate= resets)
// Knobs that simulate a bad build are read by knobs.js (HELLO_* variables or hello.json).
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLiveness, checkReadiness, HEALTH_CONTENT_TYPE, statusOf } from './health.js';
import { KnobError, loadKnobs } from './knobs.js';

const startedAt = Date.now();
const SERVICE = 'hello';
const DEFAULT_PORT = 3000;
const DRAIN_TIMEOUT_MS = 5000;
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_SLOW_MS = 60_000;
const LEVELS = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const ITEMS = [
  { id: 1, name: 'anvil', price: 42.5 },
  { id: 2, name: 'rope', price: 7 },
  { id: 3, name: 'lantern', price: 19.9 },
];

const version = process.env.GANTRY_VERSION || 'dev';
const environment = process.env.GANTRY_ENVIRONMENT || 'local';
const instance = process.env.GANTRY_INSTANCE_ID || `${hostname()}-${process.pid}`;
const host = process.env.HOST || '127.0.0.1';

let knobs;
let sources;
try {
  ({ knobs, sources } = loadKnobs(dirname(fileURLToPath(import.meta.url)), process.env));
} catch (err) {
  if (!(err instanceof KnobError)) throw err;
  exitWithError(`invalid knob: ${err.message}`);
}
if (knobs.crash_on_start) {
  exitWithError(
    `crash_on_start is set (${sources.crash_on_start}): exiting with status 1 as a bad build would`,
  );
}
const port = readPort(process.env.PORT);

let shuttingDown = false;
let inFlight = 0;

const server = createServer((req, res) => {
  const began = performance.now();
  inFlight++;
  res.on('close', () => {
    inFlight--;
    log(res.writableFinished ? 'info' : 'warn', res.writableFinished ? 'request' : 'request aborted', {
      method: req.method,
      path: req.url,
      status: res.statusCode,
      ms: Math.round((performance.now() - began) * 10) / 10,
    });
    if (shuttingDown) server.closeIdleConnections();
  });
  handle(req, res).catch((err) => {
    log('error', 'handler failed', { err: err.message });
    if (!res.headersSent) send(res, 500, { error: 'internal error' });
    else res.destroy();
  });
});

async function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (path === '/health') return sendHealth(res, checkLiveness(healthInput()));
  if (path === '/readiness') return sendHealth(res, checkReadiness(healthInput()));
  if (path === '/slow') return handleSlow(res, url);
  if (path === '/admin/errors' && req.method === 'POST') {
    // Change the error rate at run time (an outage that starts and ends on cue): ?rate=0.5, ?rate= resets.
    const raw = url.searchParams.get('rate');
    const rate = raw === null || raw === '' ? null : Number(raw);
    if (rate !== null && !(rate >= 0 && rate <= 1))
      return send(res, 400, { error: 'rate must be between 0 and 1' });
    errorRateOverride = rate;
    log('info', 'error rate switched', { error_rate: rate ?? knobs.error_rate });
    return send(res, 200, {
      error_rate: rate ?? knobs.error_rate,
      instance: process.env.GANTRY_INSTANCE_ID ?? null,
    });
  }
  if (path === '/admin/readiness' && req.method === 'POST') {
    // Take this instance out of (or back into) traffic at run time, like podinfo's /readyz/disable.
    unready = url.searchParams.get('ready') === 'false';
    log('info', 'readiness switched', { ready: !unready });
    return send(res, 200, { ready: !unready, instance: process.env.GANTRY_INSTANCE_ID ?? null });
  }
  if (path !== '/' && path !== '/api' && !path.startsWith('/api/')) {
    return send(res, 404, { error: `no route for ${path}` });
  }
  if (knobs.latency_ms > 0) await sleep(knobs.latency_ms);
  if (shouldFail()) {
    return send(res, 500, { error: `simulated failure (error_rate ${knobs.error_rate})` });
  }
  if (notFound.next(knobs.not_found_rate)) {
    return send(res, 404, {
      error: `not found (simulated lost data, not_found_rate ${knobs.not_found_rate})`,
    });
  }
  if (path === '/') return handleRoot(req, res);
  if (path === '/api/items') return handleItems(req, res);
  return send(res, 404, { error: `no route for ${path}` });
}

function handleRoot(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendMethodNotAllowed(res, 'GET, HEAD');
  return send(res, 200, {
    service: SERVICE,
    version,
    environment,
    instance,
    hostname: hostname(),
    uptime_s: Math.round((Date.now() - startedAt) / 100) / 10,
  });
}

async function handleItems(req, res) {
  if (req.method === 'GET' || req.method === 'HEAD') return send(res, 200, { items: ITEMS });
  if (req.method !== 'POST') return sendMethodNotAllowed(res, 'GET, HEAD, POST');
  const text = await readBody(req);
  if (text === undefined) return send(res, 413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });
  try {
    return send(res, 201, { received: text === '' ? null : JSON.parse(text), version, instance });
  } catch (err) {
    return send(res, 400, { error: `request body is not valid JSON: ${err.message}` });
  }
}

async function handleSlow(res, url) {
  const raw = url.searchParams.get('ms') ?? '1000';
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_SLOW_MS) {
    return send(res, 400, { error: `ms must be a whole number from 0 to ${MAX_SLOW_MS}, got "${raw}"` });
  }
  // Announced at start so a test (or a person) can see the request is in flight.
  log('info', 'slow request started', { ms });
  await sleep(ms);
  return send(res, 200, { slept_ms: ms, version, instance });
}

let errorRateOverride = null;
const failures = evenly();
const notFound = evenly();

function shouldFail() {
  return failures.next(errorRateOverride ?? knobs.error_rate);
}

/** Deterministic: exactly `rate` of the calls answer true, spread evenly. */
function evenly() {
  let calls = 0;
  return {
    next(rate) {
      const before = Math.floor(calls * rate);
      calls++;
      return Math.floor(calls * rate) > before;
    },
  };
}

let unready = false;

function healthInput() {
  const effective = unready ? { ...knobs, fail_readiness: true } : knobs;
  return { knobs: effective, startedAt, now: Date.now(), version, shuttingDown };
}

function sendHealth(res, body) {
  send(res, statusOf(body), body, HEALTH_CONTENT_TYPE);
}

function sendMethodNotAllowed(res, allow) {
  res.setHeader('Allow', allow);
  send(res, 405, { error: `method not allowed; use ${allow}` });
}

function send(res, status, body, contentType = 'application/json') {
  const text = `${JSON.stringify(body)}\n`;
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.setHeader('Cache-Control', 'no-store');
  if (shuttingDown) res.setHeader('Connection', 'close');
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function shutDown(signal) {
  if (shuttingDown) return;
  shuttingDown = true;
  log('info', 'shutting down', { signal, in_flight: inFlight });
  server.close(() => {
    log('info', 'stopped');
    process.exit(0);
  });
  server.closeIdleConnections();
  setTimeout(() => {
    log('warn', 'drain timeout: closing remaining connections', { in_flight: inFlight });
    server.closeAllConnections();
    process.exit(0);
  }, DRAIN_TIMEOUT_MS).unref();
}

function readPort(raw) {
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    exitWithError(`PORT must be a whole number from 0 to 65535, got "${raw}"`);
  }
  return n;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function log(level, msg, fields = {}) {
  process.stdout.write(`${JSON.stringify({ level: LEVELS[level], time: Date.now(), msg, ...fields })}\n`);
}

function exitWithError(msg) {
  process.stderr.write(`${JSON.stringify({ level: LEVELS.fatal, time: Date.now(), msg })}\n`);
  process.exit(1);
}

process.on('SIGTERM', () => shutDown('SIGTERM'));
process.on('SIGINT', () => shutDown('SIGINT'));

server.on('error', (err) => exitWithError(`cannot listen on ${host}:${port}: ${err.message}`));
server.listen(port, host, () => {
  const address = server.address();
  const active = Object.fromEntries(Object.keys(sources).map((name) => [name, knobs[name]]));
  log(Object.keys(active).length > 0 ? 'warn' : 'info', 'listening', {
    service: SERVICE,
    version,
    environment,
    instance,
    host,
    port: typeof address === 'object' && address ? address.port : port,
    ...(Object.keys(active).length > 0 ? { knobs: active } : {}),
  });
});
