// One health probe against one instance: an HTTP GET, or a TCP connect when the probe is of
// type 'tcp' or absent (gantry.yaml: with no readiness probe, an open port means ready).
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ProbeConfig } from '../config/types.ts';
import { requestOnce } from '../lib/http-once.ts';
import { readHealthVerdict } from './health-json.ts';
import type { ProbeResult, ProbeTarget } from './types.ts';

/** Timeout of the implicit TCP probe (no probe configured). */
export const DEFAULT_TCP_TIMEOUT_MS = 1000;

const MAX_DETAIL = 300;
const MAX_BODY_BYTES = 4096;

export async function probeOnce(
  target: ProbeTarget,
  probe: ProbeConfig | undefined,
  opts: { signal?: AbortSignal } = {},
): Promise<ProbeResult> {
  if (!probe || probe.type === 'tcp') {
    return probeTcp(target, probe?.timeout ?? DEFAULT_TCP_TIMEOUT_MS, opts.signal);
  }
  return probeHttp(target, probe, opts.signal);
}

async function probeHttp(
  target: ProbeTarget,
  probe: ProbeConfig,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  const at = Date.now();
  const start = performance.now();
  const path = probe.path.startsWith('/') ? probe.path : `/${probe.path}`;
  const what = `GET ${path}`;
  const timeout = AbortSignal.timeout(probe.timeout);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    // A connection per probe: a probe never reuses a socket the instance may be closing, which
    // would turn a healthy instance into a spurious failure.
    const res = await requestOnce(`http://${hostForUrl(target.host)}:${target.port}${path}`, {
      method: 'GET',
      headers: { 'user-agent': 'gantry-probe', ...probe.headers },
      signal: combined,
      maxBodyBytes: MAX_BODY_BYTES,
    });
    const body = res.body;
    const latencyMs = elapsed(start);
    const status = res.status;
    const contentType = headerValue(res.headers['content-type']);
    const verdict = readHealthVerdict(contentType, body);
    const head = `${what} → ${status} in ${Math.round(latencyMs)} ms`;
    const is2xx = status >= 200 && status < 300;
    if (!is2xx) return { ok: false, at, latencyMs, status, detail: withBody(head, body) };
    if (verdict === 'fail') {
      return {
        ok: false,
        at,
        latencyMs,
        status,
        detail: withBody(`${head} but its health status is fail`, body),
      };
    }
    if (verdict === 'warn') {
      return { ok: true, at, latencyMs, status, detail: withBody(`${head} with health status warn`, body) };
    }
    return { ok: true, at, latencyMs, status, detail: trim(head) };
  } catch (err) {
    const why = describeFailure(err, { signal, timeout, timeoutMs: probe.timeout, target });
    return {
      ok: false,
      at,
      latencyMs: elapsed(start),
      detail: trim(`${what} on ${address(target)}: ${why}`),
    };
  }
}

function probeTcp(target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const at = Date.now();
  const start = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const finish = (ok: boolean, why: string) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      const latencyMs = elapsed(start);
      const detail = ok
        ? `${address(target)} accepted a connection in ${Math.round(latencyMs)} ms`
        : `TCP connect to ${address(target)}: ${why}`;
      resolve({ ok, at, latencyMs, detail: trim(detail) });
    };
    const timer = setTimeout(() => finish(false, `timed out after ${timeoutMs} ms`), timeoutMs);
    const onAbort = () => finish(false, 'probe cancelled');
    if (signal?.aborted) return finish(false, 'probe cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish(true, ''));
    socket.once('error', (err) => finish(false, describeSocketError(err, target)));
  });
}

function describeFailure(
  err: unknown,
  ctx: { signal?: AbortSignal; timeout: AbortSignal; timeoutMs: number; target: ProbeTarget },
): string {
  if (ctx.signal?.aborted) return 'probe cancelled';
  if (ctx.timeout.aborted) return `timed out after ${ctx.timeoutMs} ms`;
  return describeSocketError(err, ctx.target);
}

function describeSocketError(err: unknown, target: ProbeTarget): string {
  const code = (err as { code?: string }).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset before a complete response';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host ${target.host} unreachable`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host name ${target.host} not found`;
    default:
      return (err as Error).message || String(err);
  }
}

function withBody(head: string, body: string): string {
  const oneLine = body.replace(/\s+/g, ' ').trim();
  return trim(oneLine ? `${head}: ${oneLine}` : head);
}

function trim(s: string): string {
  return s.length <= MAX_DETAIL ? s : `${s.slice(0, MAX_DETAIL - 1)}…`;
}

function elapsed(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function address(target: ProbeTarget): string {
  return `${hostForUrl(target.host)}:${target.port}`;
}
