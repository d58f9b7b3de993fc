// gantry deploy --env ENV --version V (--artifact DIR|FILE.tar.gz | --image REF) [--wait]
import type { Command } from 'commander';
import { type CliContext, createClient, perform } from '../context.ts';
import { type ArtifactOptions, addArtifactOptions, reportRelease, shipVersion } from '../launch.ts';
import { addClientOptions, addExamples, addWaitOption } from '../options.ts';

interface DeployOptions extends ArtifactOptions {
  env: string;
  wait?: boolean;
  dataDir?: string;
}

export function registerDeploy(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('deploy')
    .description('upload a version and release it to one environment')
    .requiredOption('--env <environment>', 'environment to release to, e.g. staging');
  addArtifactOptions(cmd);
  addWaitOption(cmd);
  addClientOptions(cmd);
  addExamples(cmd, [
    'gantry deploy --env staging --version v2 --artifact ./dist --wait',
    'gantry deploy --env staging --version v2 --artifact build/app.tar.gz --json',
  ]);
  return cmd.action((opts: DeployOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const client = await createClient(ctx, opts.dataDir);
      const { image } = await shipVersion(ctx, client, opts, json);
      const res = await client.createRelease({
        environment: opts.env,
        version: opts.version,
        ...(image ? { image } : {}),
      });
      return reportRelease(ctx, client, res, { json, wait: Boolean(opts.wait) });
    }),
  );
}
