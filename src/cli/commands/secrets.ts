// gantry secrets set|list|rm|rotate-key: secrets per environment (or global, for `${secret:NAME}`
// references in gantry.yaml). A value is never an argument (it would sit in the shell history and
// the process list): it is typed at a prompt that does not echo, or read from stdin.
import type { Command } from 'commander';
import type { SecretListResponse } from '../../api/secret-routes.ts';
import { SECRET_NAME_PATTERN } from '../../config/secret-refs.ts';
import { type ClientOptions, commandGroup } from '../command-group.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { formatDateTime, formatTable } from '../format.ts';
import { writeJson } from '../io.ts';
import { addExamples } from '../options.ts';
import { readSecretInput } from './secrets-input.ts';

const SECRET_REF = `\${secret:NAME}`;

interface ScopeOptions extends ClientOptions {
  global?: boolean;
}

export function registerSecrets(program: Command, ctx: CliContext): Command {
  const group = program
    .command('secrets')
    .description(
      `secrets of an environment, passed to its instances as variables (or --global, for gantry.yaml's ${SECRET_REF})`,
    );
  addExamples(group, [
    'gantry secrets set production DATABASE_URL',
    'printf %s "$DATABASE_URL" | gantry secrets set staging DATABASE_URL --from-stdin',
    'gantry secrets set --global SLACK_WEBHOOK',
    'gantry secrets list production',
    'gantry secrets rm staging OLD_TOKEN',
    'gantry secrets rotate-key',
  ]);
  const { run, client, print, sub } = commandGroup(ctx, group);

  sub('set', 'set a secret (prompted without echo, or read from stdin); restarts the instances that use it', [
    'gantry secrets set production DATABASE_URL',
    'gantry secrets set staging DATABASE_URL --from-stdin < database-url.txt',
    'gantry secrets set --global SMTP_PASSWORD',
  ])
    .argument('<env-or-name>', 'environment (or, with --global, the name)')
    .argument('[name]', 'secret name: an environment variable name such as DATABASE_URL')
    .option('--global', `a global secret, for gantry.yaml's ${SECRET_REF} references`)
    .option('--from-stdin', 'read the value from stdin (one trailing newline is dropped)')
    // Extra words are refused by scopeOf without being echoed: they may be a value typed in by mistake.
    .allowExcessArguments(true)
    .action(
      (
        first: string,
        second: string | undefined,
        o: ScopeOptions & { fromStdin?: boolean },
        command: Command,
      ) =>
        run(command, async (json) => {
          const { environment, name } = scopeOf(first, second, o, 'set', command.args.length);
          const value = await readSecretInput({
            fromStdin: o.fromStdin === true,
            prompt: `value of ${name}${environment ? ` for ${environment}` : ' (global)'}: `,
            stderr: ctx.io.stderr,
          });
          const body = await (await client(o)).setSecret(environment, name, value);
          if (json) return writeJson(ctx.io.stdout, body);
          const where = environment ?? 'global';
          print([`${body.created ? 'set' : 'updated'} ${name} (${where})`]);
          if (body.restart) print([body.restart.message]);
          else if (environment && !body.secret.used) {
            print([
              `note: ${environment} does not list ${name} in its secrets in gantry.yaml, so no instance gets it`,
            ]);
          }
        }),
    );

  sub('list', "list a scope's secrets: names and when they were set, never values", [
    'gantry secrets list production',
    'gantry secrets list --global --json',
  ])
    .argument('[env]', 'environment')
    .option('--global', 'the global secrets')
    .action((env: string | undefined, o: ScopeOptions, command: Command) =>
      run(command, async (json) => {
        if (o.global === (env !== undefined)) {
          throw new UsageError('give an environment or --global', 'e.g. gantry secrets list production');
        }
        const body = await (await client(o)).listSecrets(env ?? null);
        if (json) return writeJson(ctx.io.stdout, body);
        print(renderSecrets(body));
      }),
    );

  sub('rm', 'remove a secret', [
    'gantry secrets rm staging OLD_TOKEN',
    'gantry secrets rm --global SLACK_WEBHOOK',
  ])
    .argument('<env-or-name>', 'environment (or, with --global, the name)')
    .argument('[name]', 'secret name')
    .option('--global', 'a global secret')
    .option('--force', 'remove it even though gantry.yaml still uses it')
    .allowExcessArguments(true)
    .action(
      (first: string, second: string | undefined, o: ScopeOptions & { force?: boolean }, command: Command) =>
        run(command, async (json) => {
          const { environment, name } = scopeOf(first, second, o, 'rm', command.args.length);
          const body = await (await client(o)).removeSecret(environment, name, o.force === true);
          if (json) return writeJson(ctx.io.stdout, body);
          print([
            `removed ${name} (${environment ?? 'global'})`,
            ...(body.note ? [`note: ${body.note}`] : []),
          ]);
        }),
    );

  sub('rotate-key', 'encrypt every secret again under a new master key (one transaction)', [
    'gantry secrets rotate-key',
    'openssl rand -base64 32 > new.key && gantry secrets rotate-key --new-key-from-stdin < new.key',
  ])
    .option(
      '--new-key-from-stdin',
      'read the new key from stdin (needed when the server takes its key from GANTRY_MASTER_KEY)',
    )
    .action((o: ClientOptions & { newKeyFromStdin?: boolean }, command: Command) =>
      run(command, async (json) => {
        const newKey = o.newKeyFromStdin
          ? await readSecretInput({ fromStdin: true, prompt: 'new master key: ', stderr: ctx.io.stderr })
          : undefined;
        const body = await (await client(o)).rotateMasterKey(newKey);
        if (json) return writeJson(ctx.io.stdout, body);
        const r = body.rotation;
        print([
          `master key rotated: ${r.previousKeyId} → ${r.keyId}; ${r.reencrypted} secret(s) re-encrypted`,
          `note: ${r.note}`,
        ]);
      }),
    );

  return group;
}

export function renderSecrets(body: SecretListResponse): string[] {
  const where = body.environment ?? 'global';
  const lines =
    body.secrets.length === 0
      ? [`no ${where} secrets`]
      : formatTable(
          ['NAME', 'UPDATED', 'BY', 'USED'],
          body.secrets.map((s) => [
            s.unreadable ? `${s.name} (unreadable: set it again)` : s.name,
            formatDateTime(s.updatedAt),
            s.updatedBy ?? '-',
            s.used ? 'yes' : 'no',
          ]),
        );
  if (body.missing.length > 0) {
    const how = body.environment
      ? body.missing.map((n) => `gantry secrets set ${body.environment} ${n}`)
      : body.missing.map((n) => `gantry secrets set --global ${n}`);
    lines.push(
      '',
      `missing (gantry.yaml uses them): ${body.missing.join(', ')}`,
      ...how.map((h) => `  $ ${h}`),
    );
  }
  return lines;
}

/** The scope and name of `set`/`rm`; no message quotes an argument, which may be a misplaced value. */
function scopeOf(
  first: string,
  second: string | undefined,
  o: ScopeOptions,
  verb: string,
  given: number,
): { environment: string | null; name: string } {
  const expected = o.global ? 1 : 2;
  const usage = `gantry secrets ${verb} ${o.global ? '--global NAME' : 'ENV NAME (or --global NAME)'}`;
  const valueHint =
    'A value is never an argument (it would stay in the shell history): it is prompted for, or read with --from-stdin.';
  if (given !== expected) {
    throw new UsageError(`expected ${expected} argument(s), got ${given}: ${usage}`, valueHint);
  }
  const name = (o.global ? first : second) ?? '';
  if (!SECRET_NAME_PATTERN.test(name) || name.length > 128) {
    throw new UsageError(
      `the secret name is not an environment variable name (letters, digits and _, not starting with a digit): ${usage}`,
      valueHint,
    );
  }
  return { environment: o.global ? null : first, name };
}
