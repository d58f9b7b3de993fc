// gantry status [--env ENV]: every environment's version, instances and active release.
import type { Command } from 'commander';
import type { EnvironmentView, InstanceView, StatusBody } from '../../api/types.ts';
import { phaseName, readPlanStep } from '../canary-format.ts';
import { type CliContext, createClient, perform } from '../context.ts';
import { ApiError, EXIT_OK } from '../errors.ts';
import { formatTable } from '../format.ts';
import { writeJson, writeLine } from '../io.ts';
import { addClientOptions, addExamples } from '../options.ts';
import { renderPolicy } from '../policy-format.ts';

interface StatusOptions {
  env?: string;
  dataDir?: string;
}

export function registerStatus(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('status')
    .description('show what runs where: versions, instances and releases in progress')
    .option('--env <environment>', 'only this environment');
  addClientOptions(cmd);
  addExamples(cmd, ['gantry status', 'gantry status --env production --json']);
  return cmd.action((opts: StatusOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const client = await createClient(ctx, opts.dataDir);
      const body = await client.status(opts.env);
      if (json) writeJson(ctx.io.stdout, body);
      else for (const line of renderStatus(body)) writeLine(ctx.io.stdout, line);
      if (!json && opts.env) {
        // A server without policies (an older one) answers 404: the status stands without them.
        const policy = await client.environmentPolicy(opts.env).catch((err: unknown) => {
          if (err instanceof ApiError && err.status === 404) return null;
          throw err;
        });
        for (const line of policy ? renderPolicy(policy.policy) : []) writeLine(ctx.io.stdout, line);
      }
      return EXIT_OK;
    }),
  );
}

export function renderStatus(body: StatusBody): string[] {
  const lines = [`service ${body.service}`, ''];
  if (body.environments.length === 0) return [...lines, 'no environments'];
  lines.push(
    ...formatTable(
      ['ENVIRONMENT', 'URL', 'VERSION', 'INSTANCES', 'ACTIVE RELEASE'],
      body.environments.map((env) => [
        env.name,
        env.url,
        env.currentVersion ?? '(none)',
        `${env.readyInstances}/${env.desiredInstances} ready`,
        describeActive(env),
      ]),
    ),
  );
  for (const env of body.environments) {
    lines.push('', `${env.name} instances`);
    if (env.instances.length === 0) lines.push('  (none running)');
    else lines.push(...formatTable(INSTANCE_HEADERS, env.instances.map(instanceRow), '  '));
  }
  return lines;
}

const INSTANCE_HEADERS = ['ID', 'VERSION', 'STATE', 'READY', 'RUNS AS', 'PORT', 'RESTARTS', 'LAST EXIT'];

function instanceRow(i: InstanceView): string[] {
  return [
    i.id,
    i.version,
    i.state,
    i.ready ? 'yes' : 'no',
    i.runtimeRef ?? '-',
    i.port === null ? '-' : String(i.port),
    String(i.restarts),
    describeExit(i),
  ];
}

/** `rel_… release → v2 (progressing, step 2/4, 25 %)`: a canary shows its step and weight. */
function describeActive(env: EnvironmentView): string {
  const r = env.activeRelease;
  if (!r) return '-';
  const at = readPlanStep(r);
  const step = at ? `, step ${at.step}${at.steps ? `/${at.steps}` : ''}, ${at.weight} %` : '';
  return `${r.id} ${r.kind} → ${r.version} (${phaseName(r.state)}${step})`;
}

function describeExit(i: InstanceView): string {
  if (!i.lastExit) return '-';
  return i.lastExit.signal ? `signal ${i.lastExit.signal}` : `code ${i.lastExit.code}`;
}
