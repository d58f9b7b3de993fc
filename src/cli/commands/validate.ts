// gantry validate [--config gantry.yaml]: checks a config file without a server.
import type { Command } from 'commander';
import { type CliContext, perform } from '../context.ts';
import { EXIT_OK, EXIT_USAGE, UsageError } from '../errors.ts';
import { writeJson, writeLine } from '../io.ts';
import { addExamples, addJsonOption } from '../options.ts';
import { DEFAULT_CONFIG_FILE } from './server.ts';

/** One problem in a config file, located by line, column and key path. */
export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  /** e.g. environments.production.strategy.canary.steps[1].weight; '' for the document itself. */
  path: string;
  message: string;
}

export type ValidateResult =
  | { ok: true; summary: { service: string; environments: string[] } }
  | { ok: false; issues: ConfigIssue[] };

interface ValidateOptions {
  config: string;
}

export function registerValidate(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('validate')
    .description('check a gantry.yaml without a server: every problem with its line, column and key path')
    .option('--config <file>', 'file to check', DEFAULT_CONFIG_FILE);
  addJsonOption(cmd);
  addExamples(cmd, ['gantry validate', 'gantry validate --config deploy/gantry.yaml --json'], false);
  return cmd.action((opts: ValidateOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      const validate = ctx.deps.validateConfig;
      if (!validate)
        throw new Error('this build of gantry cannot validate configs (no config module is wired in)');
      const result = await Promise.resolve(validate(opts.config)).catch((err: NodeJS.ErrnoException) => {
        if (err?.code === 'ENOENT') {
          throw new UsageError(`config file not found: ${opts.config}`, 'Pass --config FILE.');
        }
        throw err;
      });
      if (json) {
        writeJson(
          ctx.io.stdout,
          result.ok
            ? { valid: true, issues: [], summary: result.summary }
            : { valid: false, issues: result.issues },
        );
      } else if (result.ok) {
        const envs = result.summary.environments.join(', ');
        writeLine(
          ctx.io.stdout,
          `${opts.config} is valid: service ${result.summary.service}, environments ${envs}`,
        );
      } else {
        for (const issue of result.issues) writeLine(ctx.io.stderr, formatIssue(issue));
      }
      return result.ok ? EXIT_OK : EXIT_USAGE;
    }),
  );
}

/** `gantry.yaml:12:7 environments.production.instances: expected a whole number ≥ 1` */
export function formatIssue(issue: ConfigIssue): string {
  // line 0: the problem is with the file itself (e.g. it does not exist), not a place in it.
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : `${issue.file}:`;
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where} ${issue.message}`;
}
