// Command checks: a command run by the runtime's `runCommand` (its own process group, stopped with
// everything it started on timeout or cancellation), told where the canary is by
// GANTRY_TARGET_URL; ok on exit 0.
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { formatElapsed } from '../analysis/format.ts';
import { runCommand } from '../runtime/index.ts';
import { OutputTail } from './output-tail.ts';
import type { RunCheckOptions } from './run-check.ts';

export const DEFAULT_KILL_GRACE_MS = 5000;
const TAIL_LINES = 5;
const MAX_COMMAND_CHARS = 80;

// Only these of the server's own variables reach a check, so none of its secrets do.
const INHERITED = ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR'] as const;

interface Outcome {
  ok: boolean;
  message: string;
  durationMs: number;
}

export async function runCommandCheck(
  command: string,
  timeoutMs: number,
  targetUrl: string,
  opts: RunCheckOptions,
): Promise<Outcome> {
  const start = performance.now();
  const shown = quoteCommand(command);
  const done = (ok: boolean, message: string): Outcome => ({ ok, message, durationMs: elapsed(start) });
  if (opts.signal?.aborted) return done(false, `${shown} was cancelled before it started`);
  const cwd = opts.cwd ?? process.cwd();
  if (!(await isDirectory(cwd)))
    return done(false, `cannot run ${shown}: working directory ${cwd} does not exist`);

  const tail = new OutputTail(TAIL_LINES);
  const exit = await runCommand({
    command,
    cwd,
    env: buildCheckEnv(opts.env ?? {}, targetUrl),
    timeoutMs,
    killGraceMs: opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    ...(opts.signal ? { signal: opts.signal } : {}),
    onOutput: (stream, chunk) => tail.push(stream, chunk),
  });
  const stopped = exit.stopped;

  const output = tail.lines();
  const withOutput = (head: string) =>
    output.length > 0 ? `${head}; last output:\n${output.join('\n')}` : head;
  const took = formatElapsed(elapsed(start));
  if (exit.error) return done(false, `cannot run ${shown}: ${exit.error.message}`);
  if (stopped === 'timeout') {
    return done(false, withOutput(`${shown} timed out after ${formatElapsed(timeoutMs)} and was stopped`));
  }
  if (stopped === 'cancelled') return done(false, withOutput(`${shown} was cancelled after ${took}`));
  if (exit.code === 0) return done(true, `${shown} exited with code 0 after ${took}`);
  const how = exit.code !== null ? `exited with code ${exit.code}` : `was killed by ${exit.signal}`;
  return done(false, withOutput(`${shown} ${how} after ${took}`));
}

/** The check's environment: a minimal inherited set, the given variables, then the target. */
export function buildCheckEnv(
  env: Record<string, string>,
  targetUrl: string,
  parent: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of INHERITED) {
    const value = parent[name];
    if (value !== undefined) out[name] = value;
  }
  Object.assign(out, env);
  out.GANTRY_TARGET_URL = targetUrl;
  return out;
}

async function isDirectory(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info?.isDirectory() ?? false;
}

function quoteCommand(command: string): string {
  const short = command.length > MAX_COMMAND_CHARS ? `${command.slice(0, MAX_COMMAND_CHARS - 1)}…` : command;
  return `\`${short}\``;
}

function elapsed(start: number): number {
  return Math.round(performance.now() - start);
}
