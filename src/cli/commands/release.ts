// gantry release --ref REF --version V (--artifact … | --image …) [--wait]: the track rules pick the environment.
import type { Command } from 'commander';
import { type CliContext, createClient, perform } from '../context.ts';
import { type ArtifactOptions, addArtifactOptions, reportRelease, shipVersion } from '../launch.ts';
import { addClientOptions, addExamples, addWaitOption } from '../options.ts';

interface ReleaseOptions extends ArtifactOptions {
  ref: string;
  wait?: boolean;
  dataDir?: string;
}

export function registerRelease(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('release')
    .description(
      'upload a version and release it to the environment whose `track` rule matches the git ref (exit 2 if none does)',
    )
    .requiredOption(
      '--ref <ref>',
      'git ref the version was built from, e.g. refs/heads/main or refs/tags/v1.2.3',
    );
  addArtifactOptions(cmd);
  addWaitOption(cmd);
  addClientOptions(cmd);
  addExamples(cmd, [
    'gantry release --ref refs/heads/main --version "$GITHUB_SHA" --artifact ./dist --wait',
    'gantry release --ref refs/tags/v1.2.3 --version v1.2.3 --artifact ./dist --json',
  ]);
  return cmd.action((opts: ReleaseOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const client = await createClient(ctx, opts.dataDir);
      const { image } = await shipVersion(ctx, client, opts, json, opts.ref);
      const res = await client.createRelease({
        ref: opts.ref,
        version: opts.version,
        ...(image ? { image } : {}),
      });
      return reportRelease(ctx, client, res, { json, wait: Boolean(opts.wait) });
    }),
  );
}
