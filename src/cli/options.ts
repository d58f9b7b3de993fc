// Option parsers and the options every client command shares.
import { type Command, InvalidArgumentError } from 'commander';

export function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('expected a whole number ≥ 1.');
  return Number(value);
}

/** host:port with a port from 0 to 65535 ("[::1]:7070" for IPv6). */
export function parseListen(value: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new InvalidArgumentError('expected host:port, e.g. 127.0.0.1:7070.');
  return value;
}

export function addJsonOption(cmd: Command): Command {
  return cmd.option('--json', 'print machine-readable JSON instead of text');
}

/** The server to talk to and the token to show it: program options, and every client command's. */
export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'server address (default: $GANTRY_URL, else http://127.0.0.1:7070)')
    .option(
      '--token <token>',
      "API token (default: $GANTRY_TOKEN, else the data directory's admin-token); other local users can see it in ps: prefer the variable",
    )
    .option(
      '--service <name>',
      'the service to act on, on a server with several (default: $GANTRY_SERVICE; optional with one)',
    );
}

/** --json, --url and --token, plus where to find the admin token when no token is given. */
export function addClientOptions(cmd: Command): Command {
  return addConnectionOptions(addJsonOption(cmd)).option(
    '--data-dir <dir>',
    'data directory holding admin-token, used when no token is given (default: $GANTRY_DATA_DIR or .gantry)',
  );
}

export function addWaitOption(cmd: Command): Command {
  return cmd.option('--wait', 'follow the release live and exit with its outcome (0 succeeded, 1 otherwise)');
}

export const CLIENT_ENV_HELP = `
Environment (--url and --token win over it):
  GANTRY_URL    server address (default http://127.0.0.1:7070)
  GANTRY_TOKEN  API token (default: the admin-token file in the data directory)
  GANTRY_SERVICE  the service, on a server with several (default: the only one)
`;

/** Help text that ends every command's --help: examples, then the environment it reads. */
export function addExamples(cmd: Command, examples: string[], client = true): Command {
  const text = `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n${client ? CLIENT_ENV_HELP : ''}`;
  return cmd.addHelpText('after', text);
}
