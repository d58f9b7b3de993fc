// Where the CLI writes and what it reads from its surroundings; injectable so tests capture output.
import { escapeControlsKeepingLines } from './terminal-text.ts';

export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  /** Defaults to Node's global fetch. */
  fetch?: typeof fetch;
}

export interface ResolvedIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  fetch: typeof fetch;
}

export function resolveIo(io: Partial<CliIo> = {}): ResolvedIo {
  return {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    // Read at the first request: Node loads its fetch (a bundle of undici) only when it is touched,
    // and `gantry server` never is.
    fetch: io.fetch ?? ((input, init) => globalThis.fetch(input, init)),
  };
}

/** A line (or several) for people: control characters from user text are shown, not obeyed. */
export function writeLine(out: OutputStream, line = ''): void {
  out.write(`${escapeControlsKeepingLines(line)}\n`);
}

/** One JSON document per line, so scripts can read a stream of them. */
export function writeJson(out: OutputStream, value: unknown): void {
  out.write(`${JSON.stringify(value)}\n`);
}

export const DEFAULT_URL = 'http://127.0.0.1:7070';
export const DEFAULT_DATA_DIR = '.gantry';

export function dataDirFrom(env: Record<string, string | undefined>, explicit?: string): string {
  return explicit ?? (env.GANTRY_DATA_DIR || DEFAULT_DATA_DIR);
}
