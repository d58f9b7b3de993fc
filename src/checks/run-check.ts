// Step checks (gantry.yaml `checks:`): an HTTP check or a command, run against one canary instance
// before its step completes. A check never throws: the outcome and its reason are in the result.
import type { CheckConfig } from '../config/types.ts';
import { runCommandCheck } from './command-check.ts';
import { runHttpChecks } from './http-check.ts';

export interface CheckTarget {
  /** Base URL of the instance under test, e.g. http://127.0.0.1:41234. */
  url: string;
}

export interface RunCheckOptions {
  /** Cancels the check; a running command is stopped like on a timeout. */
  signal?: AbortSignal;
  /** Working directory of a command check (default: the server's). */
  cwd?: string;
  /** Variables for a command check, over a minimal inherited set (PATH, HOME, LANG, TZ, TMPDIR). */
  env?: Record<string, string>;
  /** Between SIGTERM and SIGKILL when a command is stopped (default 5 s). */
  killGraceMs?: number;
  /** Values (secrets) replaced by *** wherever they would appear in the message. */
  redact?: string[];
}

export interface CheckRunResult {
  ok: boolean;
  /** What happened, naming the first failure: "GET /health → 503, expected 200". */
  message: string;
  durationMs: number;
}

export async function runCheck(
  check: CheckConfig,
  target: CheckTarget,
  opts: RunCheckOptions = {},
): Promise<CheckRunResult> {
  const result = check.http
    ? await runHttpChecks(check.http, target.url, check.timeout, opts.signal)
    : await runCommandCheck(check.command, check.timeout, target.url, opts);
  return { ...result, message: redact(result.message, opts.redact ?? []) };
}

function redact(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const secret of secrets) {
    if (secret) out = out.replaceAll(secret, '***');
  }
  return out;
}
