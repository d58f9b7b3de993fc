// gantry server: parses its options and hands them to the server (src/app), injected through CliDeps.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MAX_ARTIFACT_ENTRIES, DEFAULT_REFUSAL_LIMIT } from '../../config/defaults.ts';
import { parseSize } from '../../config/units.ts';
import { type CliContext, perform } from '../context.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, reportError, UsageError } from '../errors.ts';
import { DEFAULT_DATA_DIR, dataDirFrom } from '../io.ts';
import { addExamples, addJsonOption, parseListen } from '../options.ts';

export const DEFAULT_CONFIG_FILE = 'gantry.yaml';
export const DEFAULT_LISTEN = '127.0.0.1:7070';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface ServerOptions {
  /** Service files, or directories of them (one .yaml/.yml file per service). */
  config: string[];
  dataDir: string;
  /** A postgresql:// URL; undefined: SQLite in the data directory. */
  store?: string;
  /** host:port of the API and dashboard. */
  listen: string;
  /** Version to release to every environment with no current version, from initialArtifact. */
  initialVersion?: string;
  initialArtifact?: string;
  /** Undefined: GANTRY_LOG_LEVEL, else info. */
  logLevel?: (typeof LOG_LEVELS)[number];
  /** Print start-up information (address, token file) as JSON. */
  json: boolean;
  /** Largest artifact upload accepted; undefined: $GANTRY_MAX_ARTIFACT_SIZE, else the server's default. */
  maxArtifactBytes?: number;
  /** Most entries an uploaded artifact may hold; undefined: $GANTRY_MAX_ARTIFACT_ENTRIES, else 100,000. */
  maxArtifactEntries?: number;
  /** Unauthenticated requests refused per address and minute before 429; undefined: $GANTRY_REFUSAL_LIMIT, else 30. */
  refusalLimit?: number;
  /** Data plane processes sharing each listener's port. */
  dataPlaneWorkers: number;
  /** Take over from the server running on this data dir, keeping its traffic flowing. */
  upgrade: boolean;
}

interface ParsedServerOptions {
  config: string[];
  dataDir?: string;
  store?: string;
  listen: string;
  initialVersion?: string;
  initialArtifact?: string;
  logLevel?: ServerOptions['logLevel'];
  maxArtifactSize?: number;
  maxArtifactEntries?: number;
  refusalLimit?: number;
  dataPlaneWorkers: number;
  upgrade?: boolean;
}

export function registerServer(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('server')
    .description('run the Gantry server: API, dashboard, releases, proxies and the services themselves')
    .option(
      '--config <path>',
      `a service's file, or a directory with one .yaml file per service; repeat it for several (default: ${DEFAULT_CONFIG_FILE})`,
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--data-dir <dir>', `state directory (default: $GANTRY_DATA_DIR or ${DEFAULT_DATA_DIR})`)
    .option(
      '--store <url>',
      'PostgreSQL database for the state, postgresql://user@host:5432/db (default: $GANTRY_STORE, else SQLite in the data directory)',
      parseStoreUrl,
    )
    .option('--listen <host:port>', 'address of the API and dashboard', parseListen, DEFAULT_LISTEN)
    .option(
      '--initial-version <version>',
      'version to start environments that have none yet (with --initial-artifact)',
    )
    .option('--initial-artifact <dir>', 'artifact directory of --initial-version')
    .addOption(
      new Option(
        '--log-level <level>',
        "Gantry's own log level (default: $GANTRY_LOG_LEVEL or info)",
      ).choices(LOG_LEVELS),
    )
    .option(
      '--max-artifact-size <size>',
      'largest artifact upload accepted, e.g. 512MB or 2GB (default: $GANTRY_MAX_ARTIFACT_SIZE or 512MB)',
      parseArtifactSize,
    )
    .option(
      '--max-artifact-entries <count>',
      `most files, directories and links an uploaded artifact may hold (default: $GANTRY_MAX_ARTIFACT_ENTRIES or ${DEFAULT_MAX_ARTIFACT_ENTRIES})`,
      (v) => parseCount(v, 'like 100000'),
    )
    .option(
      '--refusal-limit <count>',
      `requests without valid credentials refused per client address and minute before it gets 429 (default: $GANTRY_REFUSAL_LIMIT or ${DEFAULT_REFUSAL_LIMIT})`,
      parseRefusalLimit,
    )
    .option(
      '--data-plane-workers <count>',
      'proxy processes sharing each listening port, to use more than one core',
      parseWorkers,
      1,
    )
    .option(
      '--upgrade',
      'take over from the server running on this data dir without dropping a request (docs/data-plane.md)',
    );
  addJsonOption(cmd);
  addExamples(
    cmd,
    [
      'gantry server --config gantry.yaml',
      'gantry server --config examples/hello/gantry.yaml --data-dir /var/lib/gantry --listen 0.0.0.0:7070',
      'gantry server --initial-version v1 --initial-artifact ./dist',
      'gantry server --config services/ --listen 0.0.0.0:7070',
      'gantry server --config api.yaml --config web.yaml',
      'gantry server --store postgresql://gantry@db.internal:5432/gantry',
      'gantry server --upgrade --data-plane-workers 2',
    ],
    false,
  );
  return cmd.action((opts: ParsedServerOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      if (Boolean(opts.initialVersion) !== Boolean(opts.initialArtifact)) {
        throw new UsageError(
          '--initial-version and --initial-artifact go together',
          'Pass both, or neither.',
        );
      }
      const start = ctx.deps.startServer;
      if (!start)
        throw new Error('this build of gantry cannot run the server (no server module is wired in)');
      const serverOpts: ServerOptions = {
        config: opts.config.length > 0 ? opts.config : [DEFAULT_CONFIG_FILE],
        dataDir: dataDirFrom(ctx.io.env, opts.dataDir),
        listen: opts.listen,
        json,
        ...storeFrom(opts.store, ctx.io.env.GANTRY_STORE),
        dataPlaneWorkers: opts.dataPlaneWorkers,
        upgrade: opts.upgrade ?? false,
        ...(opts.initialVersion ? { initialVersion: opts.initialVersion } : {}),
        ...(opts.initialArtifact ? { initialArtifact: opts.initialArtifact } : {}),
        ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
      };
      const maxArtifactBytes = opts.maxArtifactSize ?? envArtifactSize(ctx.io.env.GANTRY_MAX_ARTIFACT_SIZE);
      if (maxArtifactBytes !== undefined) serverOpts.maxArtifactBytes = maxArtifactBytes;
      const maxArtifactEntries =
        opts.maxArtifactEntries ??
        envCount('GANTRY_MAX_ARTIFACT_ENTRIES', ctx.io.env.GANTRY_MAX_ARTIFACT_ENTRIES, 'like 100000');
      if (maxArtifactEntries !== undefined) serverOpts.maxArtifactEntries = maxArtifactEntries;
      const refusalLimit = opts.refusalLimit ?? envRefusalLimit(ctx.io.env.GANTRY_REFUSAL_LIMIT);
      if (refusalLimit !== undefined) serverOpts.refusalLimit = refusalLimit;
      try {
        await start(serverOpts);
      } catch (err) {
        reportError(ctx.io, err, json);
        return startFailureCode(err);
      }
      return EXIT_OK;
    }),
  );
}

/** The store URLs the server accepts (the server checks again; the CLI only says it early). */
function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\/./.test(value);
}

function parseStoreUrl(value: string): string {
  if (!isPostgresUrl(value))
    throw new InvalidArgumentError('expected a PostgreSQL URL like postgresql://user@host:5432/gantry.');
  return value;
}

function storeFrom(option: string | undefined, env: string | undefined): { store?: string } {
  if (option !== undefined) return { store: option };
  if (!env) return {};
  if (!isPostgresUrl(env))
    throw new UsageError(
      'GANTRY_STORE is not a PostgreSQL URL',
      'Set it to postgresql://user@host:5432/gantry, or unset it to keep the store in the data directory.',
    );
  return { store: env };
}

function parseWorkers(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 64)
    throw new InvalidArgumentError('expected a whole number from 1 to 64, like 2.');
  return n;
}

function parseCount(value: string, example: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a whole number of at least 1, ${example}.`);
  return n;
}

function parseRefusalLimit(value: string): number {
  return parseCount(value, 'like 30');
}

function envCount(name: string, value: string | undefined, example: string): number | undefined {
  if (!value) return undefined;
  try {
    return parseCount(value, example);
  } catch {
    throw new UsageError(`${name} is not a count: ${value}`, `Set it to a whole number, ${example}.`);
  }
}

function envRefusalLimit(value: string | undefined): number | undefined {
  return envCount('GANTRY_REFUSAL_LIMIT', value, 'like 30');
}

function parseArtifactSize(value: string): number {
  const bytes = parseSize(value);
  if (bytes === undefined || bytes < 1)
    throw new InvalidArgumentError('expected a size like 512MB, 2GB or 100KB.');
  return bytes;
}

function envArtifactSize(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const bytes = parseSize(value);
  if (bytes === undefined || bytes < 1) {
    throw new UsageError(`GANTRY_MAX_ARTIFACT_SIZE is not a size: ${value}`, 'Set it like 512MB or 2GB.');
  }
  return bytes;
}

/** An invalid config or a busy address is bad input (2); anything else is a failure (1). */
function startFailureCode(err: unknown): number {
  const e = err as { exitCode?: unknown; status?: unknown };
  if (typeof e?.exitCode === 'number') return e.exitCode;
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return EXIT_USAGE;
  return EXIT_FAILED;
}
