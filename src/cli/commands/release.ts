// gantry release --ref REF --version V (--artifact … | --image …) [--wait]: the track rules pick the environment.
// gantry release abort|pause|resume|promote RELEASE_ID: subcommands (release-action.ts).
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
import { resolveVersion } from '../ref-version.ts';
import { registerReleaseActions } from './release-action.ts';

const REQUIRED_FLAGS = ['--ref'];

interface ReleaseOptions extends ArtifactOptions, PolicyOptions {
  ref: string;
  wait?: boolean;
  dataDir?: string;
}

export function registerRelease(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('release')
    .description(
      'upload a version and release it to the environment whose `track` rule matches the git ref (exit 2 if none does); or act on a release in progress',
    )
    .usage(
      '--ref <ref> [--version <version>] (--artifact <path> | --image <ref>) [options]\n' +
        '       gantry release abort|pause|resume|promote <release-id> [--reason <text>] [options]',
    )
    .option('--ref <ref>', 'git ref the version was built from, e.g. refs/heads/main or refs/tags/v1.2.3');
  addArtifactOptions(cmd);
  addScanOption(cmd);
  addOverrideOption(cmd);
  // Commander checks a command's required options for its subcommands too, so the ref form checks its own.
  for (const option of cmd.options) option.makeOptionMandatory(false);
  addWaitOption(cmd);
  addClientOptions(cmd);
  addExamples(cmd, [
    'gantry release --ref refs/heads/main --version "$GITHUB_SHA" --artifact ./dist --wait',
    'gantry release --ref refs/tags/v1.2.3 --version v1.2.3 --artifact ./dist --json',
    'gantry release --ref "$GITHUB_REF" --version v1.2.3 --image "$IMAGE@$DIGEST" --scan trivy.json --wait',
    'gantry release --ref "$GITHUB_REF" --artifact ./dist   # version: the tag, or the commit\'s first 12 digits',
    'gantry release pause rel_m9x2k3a1b2c3d4e5 --reason "watching the dashboards"',
  ]);
  registerReleaseActions(cmd, ctx);
  // After the actions, which would otherwise inherit it: a stray word gets a message naming the actions.
  cmd.allowExcessArguments();
  return cmd.action((opts: ReleaseOptions, command: Command) => {
    checkRefForm(command);
    return perform(ctx, command, async (json) => {
      // Without --version: the tag's name, or the branch commit's first 12 digits (as the webhook names it).
      const version = resolveVersion(ctx.io.env, opts);
      const override = overrideOf(opts);
      const client = await createClient(ctx, opts.dataDir);
      await shipVersion(ctx, client, { ...opts, version }, json, opts.ref);
      await shipScan(ctx, client, version, opts, json);
      const body = {
        ref: opts.ref,
        version,
        ...override,
      };
      const res = await client.createRelease(body);
      return reportRelease(ctx, client, res, { json, wait: Boolean(opts.wait) });
    });
  });
}

/** Fails like commander's own checks (exit 2, usage hint) for a stray word or a missing --ref/--version. */
function checkRefForm(command: Command): void {
  const [word] = command.args;
  if (word !== undefined) {
    command.error(
      `error: unknown release action '${word}': use abort, pause, resume or promote RELEASE_ID, or --ref REF to start a release`,
      { code: 'commander.unknownCommand' },
    );
  }
  for (const flag of REQUIRED_FLAGS) {
    const option = command.options.find((o) => o.long === flag);
    if (option && command.getOptionValue(option.attributeName()) === undefined) {
      command.error(`error: required option '${option.flags}' not specified`, {
        code: 'commander.missingMandatoryOptionValue',
      });
    }
  }
}
