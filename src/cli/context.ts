// What every command receives: the io, the injected server-side functions, and one way to run an action.
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { RestoredBackup, VerifyReport } from '../backup/index.ts';
import { type ConnectionFlags, GantryClient, resolveClientConfig } from './client.ts';
import type { ServerOptions } from './commands/server.ts';
import type { ValidateResult } from './commands/validate.ts';
import { EXIT_OK, ExitError, reportError } from './errors.ts';
import type { ResolvedIo } from './io.ts';

/** Functions the CLI does not own: the lead's server and config validator, the artifact packer. */
export interface CliDeps {
  /** Starts the server; resolves once it serves (stopping on signals is the server's job). */
  startServer?: (opts: ServerOptions) => Promise<unknown>;
  validateConfig?: (file: string) => ValidateResult | Promise<ValidateResult>;
  /** Packs an artifact directory into a .tar.gz stream; defaults to src/artifacts' packDirectory. */
  packDirectory?: (dir: string) => Readable;
  /** Offline backup checks and restores (src/backup), which read and write stores directly. */
  backups?: {
    verify: (file: string, onProgress: (p: { table: string; rows: number }) => void) => Promise<VerifyReport>;
    restore: (opts: {
      file: string;
      dataDir: string;
      store?: string;
      force: boolean;
      onProgress: (p: { table: string; rows: number }) => void;
    }) => Promise<RestoredBackup>;
  };
}

export interface CliContext {
  io: ResolvedIo;
  deps: CliDeps;
  /** --url and --token of the command being run (before or after its name), set before its action. */
  connection: ConnectionFlags;
}

export async function createClient(ctx: CliContext, dataDir?: string): Promise<GantryClient> {
  return new GantryClient(await resolveClientConfig(ctx.io.env, ctx.io.fetch, dataDir, ctx.connection));
}

export function isJson(cmd: Command): boolean {
  return Boolean(cmd.optsWithGlobals().json);
}

/**
 * Runs a command's body, which returns an exit code. Errors are shown here; a non-zero code leaves
 * through an ExitError so that runCli (or a caller of buildProgram) gets it without process.exit.
 */
export async function perform(
  ctx: CliContext,
  cmd: Command,
  body: (json: boolean) => Promise<number>,
): Promise<void> {
  const json = isJson(cmd);
  let code: number;
  try {
    code = await body(json);
  } catch (err) {
    code = reportError(ctx.io, err, json);
  }
  if (code !== EXIT_OK) throw new ExitError(code);
}
