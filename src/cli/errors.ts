// The errors a CLI command can end with, the exit code each one means (README: CLI) and how it is shown.
import { CommanderError } from 'commander';
import { GantryError } from '../lib/errors.ts';
import { type OutputStream, writeJson, writeLine } from './io.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** The server answered with an error body `{ error: { code, message, hint } }` (or something unreadable). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint: string | undefined;

  constructor(status: number, code: string, message: string, hint?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.hint = hint || undefined;
  }
}

/** The server could not be reached at all. */
export class ConnectionError extends Error {
  readonly url: string;
  readonly reason: string;

  constructor(url: string, reason: string) {
    super(
      `cannot reach Gantry at ${url}: ${reason} — is \`gantry server\` running? (--url or GANTRY_URL point elsewhere)`,
    );
    this.name = 'ConnectionError';
    this.url = url;
    this.reason = reason;
  }
}

/** Bad usage or input found after option parsing (a missing artifact, an invalid GANTRY_URL…). */
export class UsageError extends Error {
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'UsageError';
    this.hint = hint;
  }
}

/** Thrown out of a command's action to end the program with a code; the message was already shown. */
export class ExitError extends CommanderError {
  constructor(exitCode: number) {
    super(exitCode, 'gantry.exit', `exit code ${exitCode}`);
    this.name = 'ExitError';
  }
}

/** 409 (a conflict with the server's state) is a failed operation; other 4xx are bad input; 5xx failed. */
export function exitCodeForStatus(status: number): number {
  if (status === 409) return EXIT_FAILED;
  if (status >= 400 && status < 500) return EXIT_USAGE;
  return EXIT_FAILED;
}

export function exitCodeForError(err: unknown): number {
  if (err instanceof ApiError) return exitCodeForStatus(err.status);
  if (err instanceof UsageError) return EXIT_USAGE;
  return EXIT_FAILED;
}

/** Prints an error as `error: …` + `hint: …` on stderr (and its JSON body on stdout with --json); returns the exit code. */
export function reportError(
  out: { stdout: OutputStream; stderr: OutputStream },
  err: unknown,
  json: boolean,
): number {
  const { code, message, hint } = describeError(err);
  if (json) writeJson(out.stdout, { error: { code, message, ...(hint ? { hint } : {}) } });
  writeLine(out.stderr, `error: ${message}`);
  if (hint) writeLine(out.stderr, `hint: ${hint}`);
  return exitCodeForError(err);
}

function describeError(err: unknown): { code: string; message: string; hint?: string | undefined } {
  if (err instanceof ApiError) return { code: err.code, message: err.message, hint: err.hint };
  if (err instanceof UsageError) return { code: 'USAGE', message: err.message, hint: err.hint };
  if (err instanceof ConnectionError) return { code: 'UNREACHABLE', message: err.message };
  // Thrown in this process (the server failing to start): it carries its own advice.
  if (err instanceof GantryError) return { code: err.code, message: err.message, hint: err.hint };
  if (err instanceof Error) return { code: 'FAILED', message: err.message };
  return { code: 'FAILED', message: String(err) };
}

/** Turns a fetch failure into words: "connection refused", "host not found"… */
export function describeFetchFailure(err: unknown): string {
  const code = findErrorCode(err);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection timed out';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default: {
      const detail = code ?? innermostMessage(err);
      return detail ? `connection failed (${detail})` : 'connection failed';
    }
  }
}

function innermostMessage(err: unknown): string | undefined {
  let e = err as { cause?: unknown; message?: unknown } | undefined;
  for (let depth = 0; e?.cause && depth < 4; depth++) e = e.cause as typeof e;
  return typeof e?.message === 'string' && e !== err ? e.message : undefined;
}

function findErrorCode(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 4) return undefined;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string') return e.code;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const c = findErrorCode(inner, depth + 1);
      if (c) return c;
    }
  }
  return findErrorCode(e.cause, depth + 1);
}
