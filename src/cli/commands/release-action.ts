// gantry release abort|pause|resume|promote RELEASE_ID [--reason TEXT]: an operator acts on a release in progress.
import type { Command } from 'commander';
import type { ReleaseAction } from '../../api/types.ts';
import { formatActionResult } from '../canary-format.ts';
import { type CliContext, createClient, perform } from '../context.ts';
import { EXIT_OK } from '../errors.ts';
import { writeJson, writeLine } from '../io.ts';
import { addClientOptions, addExamples } from '../options.ts';

interface ActionSpec {
  action: ReleaseAction;
  description: string;
  examples: string[];
}

const ACTIONS: readonly ActionSpec[] = [
  {
    action: 'abort',
    description: 'stop a release now and roll it back: traffic returns to the stable version',
    examples: ['gantry release abort rel_m9x2k3a1b2c3d4e5 --reason "checkout errors in the canary"'],
  },
  {
    action: 'pause',
    description:
      'hold a canary at its current weight (analysis keeps running, and a failing verdict still rolls it back)',
    examples: ['gantry release pause rel_m9x2k3a1b2c3d4e5 --reason "waiting for the batch job"'],
  },
  {
    action: 'resume',
    description: 'continue a paused canary from its current step',
    examples: ['gantry release resume rel_m9x2k3a1b2c3d4e5'],
  },
  {
    action: 'promote',
    description: "skip a canary's remaining steps and move all traffic to the new version now",
    examples: ['gantry release promote rel_m9x2k3a1b2c3d4e5 --reason "verified by hand" --json'],
  },
];

interface ActionOptions {
  reason?: string;
  dataDir?: string;
}

/** Adds the four actions as subcommands of `release`; any other first word is the `--ref` form. */
export function registerReleaseActions(release: Command, ctx: CliContext): void {
  for (const spec of ACTIONS) {
    const cmd = release
      .command(spec.action)
      .description(spec.description)
      .argument('<release-id>', 'release id, e.g. rel_m9x2k3a1b2c3d4e5')
      .option('--reason <text>', "why, recorded with the action in the release's events");
    addClientOptions(cmd);
    addExamples(cmd, spec.examples);
    cmd.action((id: string, opts: ActionOptions, command: Command) =>
      perform(ctx, command, async (json) => {
        const client = await createClient(ctx, opts.dataDir);
        const res = await client.releaseAction(id, spec.action, opts.reason ? { reason: opts.reason } : {});
        if (json) {
          writeJson(ctx.io.stdout, res);
          return EXIT_OK;
        }
        writeLine(ctx.io.stdout, formatActionResult(spec.action, res.release));
        if (!res.release.finishedAt)
          writeLine(ctx.io.stdout, `follow it with: gantry watch ${res.release.id}`);
        return EXIT_OK;
      }),
    );
  }
}
