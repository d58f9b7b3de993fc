// gantry completion bash|zsh|fish: prints a completion script for the shell (commands, options and
// their fixed choices), generated from this program. Local only: no server involved.
import type { Command } from 'commander';
import { completionScript, SHELLS, type Shell } from '../completion.ts';
import { type CliContext, perform } from '../context.ts';
import { EXIT_OK } from '../errors.ts';
import { addExamples } from '../options.ts';

export function registerCompletion(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('completion')
    .description('print a shell completion script for gantry: commands, options and their choices')
    .addArgument(program.createArgument('<shell>', 'bash, zsh or fish').choices(SHELLS));
  addExamples(
    cmd,
    [
      'source <(gantry completion bash)      # bash, this shell; add the line to ~/.bashrc to keep it',
      'source <(gantry completion zsh)       # zsh, after compinit in ~/.zshrc',
      'gantry completion fish > ~/.config/fish/completions/gantry.fish',
    ],
    false,
  );
  return cmd.action((shell: Shell, _opts: unknown, command: Command) =>
    perform(ctx, command, async () => {
      ctx.io.stdout.write(completionScript(shell, program));
      return EXIT_OK;
    }),
  );
}
