// `gantry`: the CLI, wired to the server and the config validator.

import { loadServiceFiles } from './app/service-files.ts';
import type { ServerOptions as CliServerOptions } from './cli/commands/server.ts';
import type { ValidateResult, ValidateSummary } from './cli/commands/validate.ts';
import { runCli } from './cli/program.ts';
import { ConfigError, formatIssues, loadConfigFile } from './config/index.ts';
import { GantryError } from './lib/errors.ts';

async function validateConfig(config: string): Promise<ValidateResult> {
  try {
    // A directory is checked as the server reads it: every service file, no service named twice.
    const loaded = await loadServiceFiles([config], loadConfigFile);
    const services = loaded.map((l) => ({
      service: l.config.service,
      environments: Object.keys(l.config.environments),
    }));
    return {
      ok: true,
      summary: services[0] as ValidateSummary,
      ...(services.length > 1 ? { services } : {}),
    };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, issues: err.issues };
    throw err;
  }
}

async function serve(opts: CliServerOptions): Promise<void> {
  const { startServer } = await import('./app/server.ts');
  const { printBanner } = await import('./app/banner.ts');
  const { removeServerPid, runningServer, takeOverFrom, writeServerPid } = await import(
    './app/server-pid.ts'
  );
  const dataPlane = { kind: 'process' as const, workers: opts.dataPlaneWorkers, replace: opts.upgrade };
  if (opts.upgrade) {
    const previous = await takeOverFrom(opts.dataDir);
    process.stderr.write(
      previous
        ? `--upgrade: server ${previous} stepped aside; taking over\n`
        : '--upgrade: no server was running\n',
    );
  } else if (opts.store === undefined) {
    // On PostgreSQL a second server is a standby by design: the leader lock decides (app/leader.ts).
    const other = await runningServer(opts.dataDir);
    if (other !== undefined) {
      throw new Error(
        `a Gantry server (pid ${other}) already runs on ${opts.dataDir}: stop it first, or take over from it with \`gantry server --upgrade\``,
      );
    }
  }
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({ ...opts, dataPlane });
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new GantryError(
        'CONFIG_INVALID',
        `${opts.config.join(', ')} is not valid:\n${formatIssues(err.issues)}`,
      );
    }
    throw err;
  }
  await writeServerPid(server.dataDir);
  await printBanner(server, opts.json);
  let stopping = false;
  const stop = (signal: string, upgrade: boolean) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(
      upgrade
        ? `\n${signal}: stepping aside for a new server; the proxy and the instances keep running…\n`
        : `\n${signal}: stopping Gantry and its instances…\n`,
    );
    server
      .close(upgrade ? { stopInstances: false, keepDataPlane: true } : { stopInstances: true })
      .then(() => removeServerPid(server.dataDir))
      .then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`error while stopping: ${String(err)}\n`);
          process.exit(1);
        },
      );
  };
  // A leader that lost its lock has begun to close: exit non-zero once it has, so a supervisor
  // restarts it (it then waits as a standby).
  void server.leaderLost.then(() => server.close({ keepDataPlane: true }).finally(() => process.exit(1)));
  process.on('SIGINT', () => stop('SIGINT', false));
  process.on('SIGTERM', () => stop('SIGTERM', false));
  // SIGUSR2 (what `gantry server --upgrade` sends): exit, leaving traffic to the data plane.
  process.on('SIGUSR2', () => stop('SIGUSR2', true));
  // SIGHUP re-reads gantry.yaml, like most daemons; a refused reload changes nothing.
  process.on('SIGHUP', () => {
    server.reload().then(
      (r) =>
        process.stderr.write(
          `SIGHUP: reloaded ${r.file} (applied: ${r.applied.join(', ') || 'nothing changed'}${r.added ? `; started ${r.added.join(', ')}` : ''}${r.removed ? `; stopped ${r.removed.join(', ')}` : ''})\n`,
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
