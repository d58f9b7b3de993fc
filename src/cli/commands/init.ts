// gantry init [--ci github] [--force] [--service NAME] [--dir DIR]: a starter gantry.yaml (and CI
// workflow) for the project in a directory. Local files only: no server involved.
import { type Command, Option } from 'commander';
import type { InitResult } from '../../init/index.ts';
import { type CliContext, perform } from '../context.ts';
import { EXIT_OK, UsageError } from '../errors.ts';
import { writeJson, writeLine } from '../io.ts';
import { addExamples, addJsonOption } from '../options.ts';

interface InitCliOptions {
  ci?: 'github';
  runtime?: 'process' | 'docker';
  force?: boolean;
  service?: string;
  dir: string;
}

export function registerInit(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('init')
    .description(
      'write a starter gantry.yaml for the project here (start command, health paths, staging and production), and a CI workflow with --ci',
    )
    .addOption(
      new Option('--ci <provider>', 'also write a CI workflow: test → build → scan → release').choices([
        'github',
      ]),
    )
    .addOption(
      new Option(
        '--runtime <runtime>',
        'process: run a directory artifact; docker: run images of the Dockerfile (default: docker when there is a Dockerfile)',
      ).choices(['process', 'docker']),
    )
    .option('--force', 'overwrite files that already exist')
    .option('--service <name>', 'service name (default: from package.json, pyproject.toml or the directory)')
    .option('--dir <dir>', 'project directory', '.');
  addJsonOption(cmd);
  addExamples(
    cmd,
    [
      'gantry init',
      'gantry init --ci github',
      'gantry init --ci github --runtime docker',
      'gantry init --service shop-api --force --json',
    ],
    false,
  );
  return cmd.action((opts: InitCliOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      // Loaded on demand: only init needs the project detection and templates.
      const { InitError, initProject } = await import('../../init/index.ts');
      let result: InitResult;
      try {
        result = await initProject({
          dir: opts.dir,
          force: Boolean(opts.force),
          ...(opts.ci ? { ci: opts.ci } : {}),
          ...(opts.runtime ? { runtime: opts.runtime } : {}),
          ...(opts.service !== undefined ? { service: opts.service } : {}),
        });
      } catch (err) {
        if (err instanceof InitError) throw new UsageError(err.message, err.hint);
        throw err;
      }
      if (json) writeJson(ctx.io.stdout, toJson(result));
      else printResult(ctx, result);
      return EXIT_OK;
    }),
  );
}

function toJson(result: InitResult) {
  const { facts } = result;
  return {
    written: result.written,
    service: facts.service,
    stack: facts.stack,
    runtime: result.choice.runtime,
    run:
      result.choice.runtime === 'docker'
        ? { image: result.choice.image, port: result.choice.containerPort }
        : { command: facts.command, source: facts.commandSource },
    health: facts.health,
    warnings: facts.warnings,
    next: result.next,
  };
}

function printResult(ctx: CliContext, result: InitResult): void {
  for (const file of result.written) {
    writeLine(ctx.io.stdout, `${file.replaced ? 'replaced' : 'wrote'} ${file.path} (${file.what})`);
  }
  for (const warning of result.facts.warnings) writeLine(ctx.io.stderr, `warning: ${warning}`);
  writeLine(ctx.io.stdout, 'next:');
  result.next.forEach((step, i) => {
    writeLine(ctx.io.stdout, `  ${i + 1}. ${step}`);
  });
}
