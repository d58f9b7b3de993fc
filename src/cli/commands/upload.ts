// gantry upload (--version V | --ref REF) --artifact DIR|FILE.tar.gz [--commit SHA [--commit-time T]]: stores a version
// without releasing it. With the GitHub webhook, CI uploads this way and the push's trigger
// starts the release; the server's answer says whether one did.
import type { Command } from 'commander';
import { resolveCommitTime } from '../commit-time.ts';
import { type CliContext, createClient, perform } from '../context.ts';
import { EXIT_OK, UsageError } from '../errors.ts';
import { writeJson, writeLine } from '../io.ts';
import { addClientOptions, addExamples } from '../options.ts';
import { resolveVersion } from '../ref-version.ts';
import { describeUpload, uploadArtifact } from '../upload.ts';

interface UploadOptions {
  version?: string;
  ref?: string;
  commit?: string;
  commitTime?: string;
  artifact?: string;
  dataDir?: string;
}

export function registerUpload(program: Command, ctx: CliContext): Command {
  const cmd = program
    .command('upload')
    .description(
      'upload a version without releasing it (a GitHub push trigger waiting for it starts its release)',
    )
    .option(
      '--version <version>',
      "version name (default with --ref: the tag, or the commit's first 12 digits)",
    )
    .option('--ref <ref>', 'git ref the version was built from, e.g. refs/heads/main or refs/tags/v1.2.3')
    .option('--commit <sha>', 'git commit the version was built from (default: $GITHUB_SHA when set)')
    .option(
      '--commit-time <time>',
      'when that commit was made, ISO-8601 (default: $GANTRY_COMMIT_TIME, the GitHub event, or git)',
    )
    .requiredOption('--artifact <path>', 'build directory (packed for you) or a .tar.gz of it');
  addClientOptions(cmd);
  addExamples(cmd, [
    'gantry upload --ref "$GITHUB_REF" --artifact ./dist',
    'gantry upload --version v1.2.3 --artifact build/app.tar.gz --json',
  ]);
  return cmd.action((opts: UploadOptions, command: Command) =>
    perform(ctx, command, async (json) => {
      if (!opts.artifact) throw new UsageError('pass --artifact DIR|FILE.tar.gz');
      const commit = opts.commit ?? (ctx.io.env.GITHUB_SHA || undefined);
      const version = resolveVersion(ctx.io.env, { ...opts, ...(commit ? { commit } : {}) });
      const commitTime = await resolveCommitTime(ctx.io.env, {
        ...(opts.commitTime !== undefined ? { commitTime: opts.commitTime } : {}),
        ...(commit ? { commit } : {}),
      });
      const client = await createClient(ctx, opts.dataDir);
      const { created, response } = await uploadArtifact(ctx, client, {
        version,
        artifact: opts.artifact,
        ...(opts.ref ? { ref: opts.ref } : {}),
        ...(commit ? { commit } : {}),
        ...(commitTime ? { commitTime } : {}),
      });
      if (json) {
        writeJson(ctx.io.stdout, response);
        return EXIT_OK;
      }
      writeLine(ctx.io.stdout, describeUpload(response.version, created));
      for (const t of response.triggered ?? []) {
        writeLine(ctx.io.stdout, `push trigger for ${t.environment} (${t.ref}): ${t.message}`);
      }
      return EXIT_OK;
    }),
  );
}
