// The part deploy, release, promote and rollback share: ship the artifact, start the release, report or follow it.
import { type Command, Option } from 'commander';
import type { ReleaseResponse, VersionView } from '../api/types.ts';
import type { GantryClient } from './client.ts';
import type { CliContext } from './context.ts';
import { EXIT_OK, UsageError } from './errors.ts';
import { formatStarted } from './format.ts';
import { writeJson, writeLine } from './io.ts';
import { describePolicy } from './policy-options.ts';
import { describeUpload, uploadArtifact } from './upload.ts';
import { waitForRelease } from './wait.ts';

export interface ArtifactOptions {
  version: string;
  artifact?: string;
  image?: string;
  commit?: string;
}

export function addArtifactOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--version <version>', 'version name, e.g. v1.4.2 or a commit SHA')
    .addOption(
      new Option('--artifact <path>', 'build directory (packed for you) or a .tar.gz of it').conflicts(
        'image',
      ),
    )
    .addOption(
      new Option(
        '--image <ref>',
        'container image (runtime docker): the server pulls it and keeps its digest as the version',
      ),
    )
    .option('--commit <sha>', 'git commit the version was built from (default: $GITHUB_SHA when set)');
}

/**
 * Uploads the artifact, or has the server pull the image and record its digest, so that the
 * version exists before a scan report is attached to it and the release starts.
 */
export async function shipVersion(
  ctx: CliContext,
  client: GantryClient,
  opts: ArtifactOptions,
  json: boolean,
  ref?: string,
): Promise<void> {
  const commit = opts.commit ?? (ctx.io.env.GITHUB_SHA || undefined);
  if (opts.image) {
    const { body } = await client.recordImage(opts.version, {
      image: opts.image,
      ...(ref ? { ref } : {}),
      ...(commit ? { commit } : {}),
    });
    if (!json) writeLine(ctx.io.stdout, describeImage(body.version, body.created));
    return;
  }
  if (!opts.artifact) {
    throw new UsageError('pass --artifact DIR|FILE.tar.gz or --image REF', 'See --help for an example.');
  }
  const { created, response } = await uploadArtifact(ctx, client, {
    version: opts.version,
    artifact: opts.artifact,
    ...(ref ? { ref } : {}),
    ...(commit ? { commit } : {}),
  });
  if (!json) writeLine(ctx.io.stdout, describeUpload(response.version, created));
}

function describeImage(v: VersionView, created: boolean): string {
  return created
    ? `pulled ${v.version}: ${v.image ?? '?'}`
    : `version ${v.version} is already ${v.image ?? '?'}; reusing it`;
}

/** Prints the started release (or its JSON body); with --wait follows it and returns its outcome. */
export async function reportRelease(
  ctx: CliContext,
  client: GantryClient,
  res: ReleaseResponse,
  opts: { json: boolean; wait: boolean },
): Promise<number> {
  const { release } = res;
  if (opts.json && !opts.wait) {
    writeJson(ctx.io.stdout, res);
    return EXIT_OK;
  }
  if (!opts.json) {
    writeLine(ctx.io.stdout, formatStarted(release));
    for (const line of describePolicy(res.policy)) writeLine(ctx.io.stdout, line);
    if (res.chosenBy) writeLine(ctx.io.stdout, `environment ${release.environment} chosen: ${res.chosenBy}`);
    if (!opts.wait) writeLine(ctx.io.stdout, `follow it with: gantry watch ${release.id}`);
  }
  return opts.wait ? waitForRelease(ctx.io, client, release.id, opts.json, release) : EXIT_OK;
}
