// HTTP for the channels that POST (webhook, Slack, PagerDuty), and Alertmanager's Retrier rule for
// their answers: 2xx delivered; 5xx, 408 and 429 retried (429 after its Retry-After); any other
// status is final. Network failures and timeouts are retried.
import type * as undici from 'undici';
import { requireOnUse } from '../lib/require-on-use.ts';
import { USER_AGENT } from './defaults.ts';
import { describeError } from './redact.ts';
import type { SendResult } from './types.ts';

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const MAX_BODY_IN_ERROR = 300;
const MAX_BODY_READ = 64 * 1024;

/** POSTs a body; throws only on network failure, timeout or abort. */
export async function postBody(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: { timeoutMs: number; signal: AbortSignal },
): Promise<HttpReply> {
  const res = await requireOnUse<typeof undici>('undici').request(url, {
    method: 'POST',
    body,
    headers: { 'user-agent': USER_AGENT, ...headers },
    signal: AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]),
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });
  return { status: res.statusCode, headers: res.headers, body: await readCapped(res.body) };
}

async function readCapped(body: AsyncIterable<Buffer | Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < MAX_BODY_READ) chunks.push(Buffer.from(chunk));
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** POSTs and classifies the answer, or the failure to get one. */
export async function postAndCheck(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: { timeoutMs: number; signal: AbortSignal; details?: (reply: HttpReply) => string },
): Promise<SendResult> {
  let reply: HttpReply;
  try {
    reply = await postBody(url, body, headers, opts);
  } catch (err) {
    if (opts.signal.aborted) throw err;
    return networkFailure(err, opts.timeoutMs);
  }
  return checkReply(reply, opts.details);
}

export function checkReply(reply: HttpReply, details?: (reply: HttpReply) => string): SendResult {
  const { status } = reply;
  if (status >= 200 && status < 300) return { retry: false };
  const retry = status >= 500 || status === 429 || status === 408;
  const text = (details ? details(reply) : reply.body).replace(/\s+/g, ' ').trim();
  const error = `unexpected status code ${status}${text ? `: ${truncate(text, MAX_BODY_IN_ERROR)}` : ''}`;
  const retryAfterMs =
    status === 429 || status === 503 ? parseRetryAfter(reply.headers['retry-after']) : undefined;
  return { retry, error, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/** A failure to get any answer: always retryable, described without the URL. */
export function networkFailure(err: unknown, timeoutMs: number): SendResult {
  const code = findCode(err);
  const name = (err as { name?: string } | undefined)?.name;
  if (name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { retry: true, error: `no answer within ${timeoutMs / 1000} s` };
  }
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    UND_ERR_SOCKET: 'connection closed by the receiver',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host not found (DNS lookup failed)',
    ETIMEDOUT: 'connection timed out',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
  };
  const known = code ? words[code] : undefined;
  return { retry: true, error: known ?? `request failed: ${describeError(err)}` };
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function findCode(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 4) return undefined;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string') return e.code;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const c = findCode(inner, depth + 1);
      if (c) return c;
    }
  }
  return findCode(e.cause, depth + 1);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
