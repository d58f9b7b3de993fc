// HTTP checks: each request in order, all must pass (status, then latency); the first failure
// ends the check and names itself. The check's timeout bounds all of its requests together.
import { performance } from 'node:perf_hooks';
import { formatElapsed } from '../analysis/format.ts';
import type { HttpCheck } from '../config/types.ts';
import { requestOnce } from '../lib/http-once.ts';

const MAX_BODY_QUOTE = 200;
const MAX_BODY_BYTES = 4096;

interface Outcome {
  ok: boolean;
  message: string;
  durationMs: number;
}

export async function runHttpChecks(
  checks: readonly HttpCheck[],
  baseUrl: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Outcome> {
  const start = performance.now();
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const passed: string[] = [];
  for (const check of checks) {
    const outcome = await checkOnce(check, baseUrl, combined, () => describeAbort(signal, timeoutMs));
    if (!outcome.ok) return { ok: false, message: outcome.message, durationMs: elapsed(start) };
    passed.push(outcome.message);
  }
  const message = passed.length > 0 ? passed.join('; ') : 'no HTTP requests to make';
  return { ok: true, message, durationMs: elapsed(start) };
}

async function checkOnce(
  check: HttpCheck,
  baseUrl: string,
  signal: AbortSignal,
  abortReason: () => string,
): Promise<{ ok: boolean; message: string }> {
  const path = check.path.startsWith('/') ? check.path : `/${check.path}`;
  const what = `${check.method} ${path}`;
  const start = performance.now();
  try {
    // A connection per request (nothing reused), and no certificate check: synthetics reach an
    // environment through Gantry's own listener on a loopback address, which its certificate
    // (issued for the public name) does not cover; the check is of the service, not of TLS.
    const res = await requestOnce(`${baseUrl.replace(/\/+$/, '')}${path}`, {
      method: check.method,
      headers: { 'user-agent': 'gantry-check', ...check.headers },
      signal,
      maxBodyBytes: MAX_BODY_BYTES,
      verifyTls: false,
    });
    const body = res.body;
    const latency = Math.round(performance.now() - start);
    const status = res.status;
    if (status !== check.expect_status) {
      return { ok: false, message: withBody(`${what} → ${status}, expected ${check.expect_status}`, body) };
    }
    if (check.max_latency !== undefined && latency > check.max_latency) {
      return {
        ok: false,
        message: `${what} → ${status} in ${latency} ms, expected at most ${check.max_latency} ms`,
      };
    }
    return { ok: true, message: `${what} → ${status} in ${latency} ms` };
  } catch (err) {
    const why = signal.aborted ? abortReason() : describeError(err);
    return { ok: false, message: `${what}: ${why}` };
  }
}

function withBody(head: string, body: string): string {
  const oneLine = body.replace(/\s+/g, ' ').trim();
  if (!oneLine) return head;
  const quote = oneLine.length > MAX_BODY_QUOTE ? `${oneLine.slice(0, MAX_BODY_QUOTE - 1)}…` : oneLine;
  return `${head}: ${quote}`;
}

function describeAbort(signal: AbortSignal | undefined, timeoutMs: number): string {
  if (signal?.aborted) return 'cancelled';
  return `no complete response within ${formatElapsed(timeoutMs)} (the check's timeout)`;
}

function describeError(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused; is the instance listening?';
    case 'ECONNRESET':
      return 'connection reset before a complete response';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    default:
      return (err as Error).message || String(err);
  }
}

function elapsed(start: number): number {
  return Math.round(performance.now() - start);
}
