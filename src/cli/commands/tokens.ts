// gantry tokens [list|create|revoke|whoami]: API tokens with a role (viewer, deployer, admin),
// optionally limited to environments and with an expiry. A new token is printed once, alone on
// stdout (so `TOKEN=$(gantry tokens create …)` works); the server keeps only its hash.
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { TokenView } from '../../api/auth-routes.ts';
import { ROLES, type Role } from '../../auth/types.ts';
import { MAX_DURATION_TEXT, parseDuration } from '../../config/units.ts';
import { type ClientOptions, commandGroup } from '../command-group.ts';
import type { CliContext } from '../context.ts';
import { formatDateTime, formatTable } from '../format.ts';
import { writeJson, writeLine } from '../io.ts';
import { addExamples } from '../options.ts';

function parseExpiry(value: string): string {
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1000)
    throw new InvalidArgumentError(`expected a duration like 12h, 30d or 90d, ${MAX_DURATION_TEXT}.`);
  return value;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerTokens(program: Command, ctx: CliContext): Command {
  const group = program
    .command('tokens')
    .description('API tokens: list them, create one (shown once), revoke one; admin only');
  addExamples(group, [
    'gantry tokens',
    'gantry tokens create --role deployer --env staging --expires 90d --name ci-staging',
    'gantry tokens revoke tok_lx3k2a9f01c2d3e4f5',
  ]);
  const { run, client, print, sub } = commandGroup(ctx, group);

  sub('list', 'list the tokens (never the tokens themselves)', ['gantry tokens list --json'], {
    isDefault: true,
  }).action((o: ClientOptions, command: Command) =>
    run(command, async (json) => {
      const body = await (await client(o)).listTokens();
      if (json) writeJson(ctx.io.stdout, body);
      else print(renderTokens(body.tokens));
    }),
  );

  sub('create', 'create a token and print it once', [
    'gantry tokens create --role viewer --name grafana',
    'gantry tokens create --role deployer --env staging --expires 90d --name ci-staging',
    'gantry tokens create --role admin --expires 12h --name break-glass',
  ])
    .addOption(
      new Option('--role <role>', 'viewer (read), deployer (release), admin (everything)')
        .choices(ROLES)
        .makeOptionMandatory(),
    )
    .option('--env <environment>', 'limit a deployer or admin to this environment; repeatable', collect)
    .option('--expires <duration>', 'expire after this long, e.g. 12h, 30d (default: never)', parseExpiry)
    .option('--name <name>', 'who or what uses it, shown in lists and the audit log')
    .action(
      (
        o: ClientOptions & { role: Role; env?: string[]; expires?: string; name?: string },
        command: Command,
      ) =>
        run(command, async (json) => {
          const body = await (await client(o)).createToken({
            role: o.role,
            ...(o.env ? { environments: o.env } : {}),
            ...(o.expires ? { expiresIn: o.expires } : {}),
            ...(o.name ? { name: o.name } : {}),
          });
          if (json) {
            writeJson(ctx.io.stdout, body);
            return;
          }
          const t = body.token;
          writeLine(ctx.io.stdout, body.secret);
          writeLine(ctx.io.stderr, `created ${t.id} "${t.name}": ${describeGrant(t)}, ${describeExpiry(t)}`);
          writeLine(
            ctx.io.stderr,
            'This is the only time the token is shown: store it now (e.g. as the GANTRY_TOKEN secret of a CI job).',
          );
        }),
    );

  sub('revoke', 'revoke a token now (its dashboard sessions end too)', [
    'gantry tokens revoke tok_lx3k2a9f01c2d3e4f5',
  ])
    .argument('<id>', 'token id (from `gantry tokens`)')
    .action((id: string, o: ClientOptions, command: Command) =>
      run(command, async (json) => {
        const body = await (await client(o)).revokeToken(id);
        if (json) writeJson(ctx.io.stdout, body);
        else print([`revoked ${body.token.id} "${body.token.name}" (${describeGrant(body.token)})`]);
      }),
    );

  sub('whoami', 'show the token this CLI uses: its name, role and environments', [
    'gantry tokens whoami',
  ]).action((o: ClientOptions, command: Command) =>
    run(command, async (json) => {
      const body = await (await client(o)).whoami();
      if (json) writeJson(ctx.io.stdout, body);
      else {
        const a = body.actor;
        print([`${a.name} (${a.id}): ${a.role}${a.environments ? ` on ${a.environments.join(', ')}` : ''}`]);
      }
    }),
  );

  return group;
}

export function renderTokens(tokens: TokenView[]): string[] {
  if (tokens.length === 0) return ['no tokens'];
  return formatTable(
    ['ID', 'NAME', 'ROLE', 'ENVIRONMENTS', 'TOKEN', 'STATE', 'EXPIRES', 'LAST USED', 'CREATED BY'],
    tokens.map((t) => [
      t.id,
      t.name,
      t.role,
      t.environments?.join(',') ?? 'all',
      `${t.prefix}…`,
      t.state,
      t.expiresAt ? formatDateTime(t.expiresAt) : 'never',
      t.lastUsedAt ? formatDateTime(t.lastUsedAt) : '-',
      t.createdBy ?? '-',
    ]),
  );
}

function describeGrant(t: TokenView): string {
  return `${t.role} on ${t.environments ? t.environments.join(', ') : 'every environment'}`;
}

function describeExpiry(t: TokenView): string {
  return t.expiresAt ? `expires ${formatDateTime(t.expiresAt)}` : 'does not expire';
}
