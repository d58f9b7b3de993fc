// gantry validate [--config gantry.yaml]: checks a config file without a server.
import type { Command } from 'commander';
import { type ConfigIssue, formatIssue } from '../../config/issues.ts';
import { type CliContext, perform } from '../context.ts';
import { EXIT_OK, EXIT_USAGE, UsageError } from '../errors.ts';
import { writeJson, writeLine } from '../io.ts';
import { addExamples, addJsonOption } from '../options.ts';
import { DEFAULT_CONFIG_FILE } from './server.ts';

export type { ConfigIssue };

export interface ValidateSummary {
  service: string;
  environments: string[];
}

/** `services`: every service of a directory of service files (when it holds more than one). */
export type ValidateResult =
  | { ok: true; summary: ValidateSummary; services?: ValidateSummary[] }
  | { ok: false; issues: ConfigIssue[] };

interface ValidateOptions {
  config: string;
}

export function registerValidate(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('validate')
    .description('check a gantry.yaml without a server: every problem with its line, column and key path')
    .option('--config <path>', 'file to check, or a directory of service files', DEFAULT_CONFIG_FILE);
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
            ? {
                valid: true,
                issues: [],
                summary: result.summary,
                ...(result.services ? { services: result.services } : {}),
              }
            : { valid: false, issues: result.issues },
        );
      } else if (result.ok) {
        const described = (result.services ?? [result.summary]).map(
          (s) => `service ${s.service}, environments ${s.environments.join(', ')}`,
        );
        writeLine(ctx.io.stdout, `${opts.config} is valid: ${described.join('; ')}`);
      } else {
        for (const issue of result.issues) writeLine(ctx.io.stderr, formatIssue(issue));
      }
      return result.ok ? EXIT_OK : EXIT_USAGE;
    }),
  );
}
