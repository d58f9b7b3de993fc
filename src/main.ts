// `gantry`: the CLI, wired to the server and the config validator.

import type { ServerOptions as CliServerOptions } from './cli/commands/server.ts';
import type { ValidateResult } from './cli/commands/validate.ts';
import { runCli } from './cli/program.ts';
import { ConfigError, formatIssues, loadConfigFile } from './config/index.ts';
import { GantryError } from './lib/errors.ts';

async function validateConfig(file: string): Promise<ValidateResult> {
  try {
    const { config } = await loadConfigFile(file);
    return { ok: true, summary: { service: config.service, environments: Object.keys(config.environments) } };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, issues: err.issues };
    throw err;
  }
}

async function serve(opts: CliServerOptions): Promise<void> {
  const { startServer } = await import('./app/server.ts');
  const { printBanner } = await import('./app/banner.ts');
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(opts);
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new GantryError('CONFIG_INVALID', `${opts.config} is not valid:\n${formatIssues(err.issues)}`);
    }
    throw err;
  }
  await printBanner(server, opts.json);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping Gantry and its instances…\n`);
    server.close({ stopInstances: true }).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`error while stopping: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // SIGHUP re-reads gantry.yaml, like most daemons; a refused reload changes nothing.
  process.on('SIGHUP', () => {
    server.reload().then(
      (r) =>
        process.stderr.write(
          `SIGHUP: reloaded ${r.file} (applied: ${r.applied.join(', ') || 'nothing changed'})\n`,
        ),
      (err: unknown) =>
        process.stderr.write(
          `SIGHUP: reload refused, nothing changed: ${(err as Error).message ?? String(err)}\n`,
        ),
    );
  });
}

const backups = {
  verify: async (file: string, onProgress: (p: { table: string; rows: number }) => void) =>
    (await import('./backup/index.ts')).verifyBackup(file, { onProgress }),
  restore: async (opts: Parameters<typeof import('./backup/index.ts').restoreToDataDir>[0]) =>
    (await import('./backup/index.ts')).restoreToDataDir(opts),
};

process.exitCode = await runCli(process.argv.slice(2), undefined, {
  startServer: serve,
  validateConfig,
  backups,
});
