// gantry deploy --env ENV --version V (--artifact DIR|FILE.tar.gz | --image REF) [--wait]
import type { Command } from 'commander';
import { type CliContext, createClient, perform } from '../context.ts';
import { type ArtifactOptions, addArtifactOptions, reportRelease, shipVersion } from '../launch.ts';
import { addClientOptions, addExamples, addWaitOption } from '../options.ts';
import {
  addOverrideOption,
  addScanOption,
  overrideOf,
  type PolicyOptions,
  shipScan,
} from '../policy-options.ts';

interface DeployOptions extends ArtifactOptions, PolicyOptions {
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
  addScanOption(cmd);
  addOverrideOption(cmd);
  addWaitOption(cmd);
  addClientOptions(cmd);
  addExamples(cmd, [
    'gantry deploy --env staging --version v2 --artifact ./dist --wait',
    'gantry deploy --env staging --version v2 --artifact build/app.tar.gz --json',
    'gantry deploy --env production --version v2 --artifact ./dist --scan trivy.json --wait',
    'gantry deploy --env staging --version v2 --image registry.example.com/shop-api:v2 --wait   # runtime docker',
    'gantry deploy --env production --version v2 --artifact ./dist --override-policy "hotfix for INC-42"',
  ]);
  return cmd.action((opts: DeployOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const override = overrideOf(opts);
      const client = await createClient(ctx, opts.dataDir);
      await shipVersion(ctx, client, opts, json);
      await shipScan(ctx, client, opts.version, opts, json);
      const body = {
        environment: opts.env,
        version: opts.version,
        ...override,
      };
      const res = await client.createRelease(body);
      return reportRelease(ctx, client, res, { json, wait: Boolean(opts.wait) });
    }),
  );
}
