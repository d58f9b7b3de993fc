// Images as versions: the first release of a version names an image (`--image REF`,
// or `run.image:<version>`); the driver pulls it and the version keeps its digest for good, so
// promote, rollback, restarts and adoption run the same bytes. Every use resolves the pinned
// reference again before anything stops, so an image gone from the engine and the registry fails
// the release up front, naming the image and the engine's error.
import { imageOfVersion, isImageTag, parseImageReference, pinImage } from '../config/image-ref.ts';
import type { GantryConfig } from '../config/types.ts';
import { GantryError } from '../lib/errors.ts';
import type { WorkloadDriver } from '../runtime/driver.ts';
import type { Store, VersionRecord } from '../store/types.ts';

/** The driver's resolveArtifact, for images: pulls per policy, answers the digest (`sha256:…`). */
export type ResolveImage = (ref: {
  kind: 'image';
  image: string;
}) => Promise<{ kind: 'image'; image: string; digest: string }>;

/** The driver's resolveArtifact, narrowed to images. */
export function imageResolverOf(driver: Pick<WorkloadDriver, 'resolveArtifact' | 'kind'>): ResolveImage {
  return async (ref) => {
    const artifact = await driver.resolveArtifact(ref).catch((err: unknown) => {
      if (err instanceof GantryError) throw err;
      // The engine's own words (they name the image): a release that cannot get its image is the
      // user's to fix, not a server error.
      throw new GantryError('IMAGE_UNAVAILABLE', err instanceof Error ? err.message : String(err));
    });
    if (artifact.kind === 'image') return artifact;
    throw new GantryError('RUNTIME_UNAVAILABLE', `the ${driver.kind} runtime cannot run image ${ref.image}`);
  };
}

export interface ImageVersionRequest {
  service: string;
  version: string;
  /** The reference the release names; defaults to run.image:<version>. */
  image?: string;
  gitRef?: string | null;
  gitCommit?: string | null;
}

export interface RecordedImage {
  version: VersionRecord;
  /** False when the version already had this digest. */
  created: boolean;
}

const DIGEST_PREFIX = 'sha256:';

/** `repo@sha256:…` of an image version (its artifactRef), or undefined for a directory version. */
export function pinnedImageOf(rec: VersionRecord): string | undefined {
  return rec.artifactKind === 'image' ? rec.artifactRef : undefined;
}

/** `sha256:…` of an image version (stored as hex in the sha256 column, like an artifact's checksum). */
export function digestOf(rec: VersionRecord): string | undefined {
  return rec.artifactKind === 'image' && rec.sha256 ? `${DIGEST_PREFIX}${rec.sha256}` : undefined;
}

/** The image a release of a version asks for, checked; throws a 400 that says what to pass. */
export function requestedImage(config: GantryConfig, version: string, image: string | undefined): string {
  if (image !== undefined) {
    if (!parseImageReference(image)) {
      throw new GantryError(
        'BAD_REQUEST',
        `image ${JSON.stringify(image)} is not an image reference: expected [registry/]repository[:tag][@sha256:…], lowercase, like 127.0.0.1:5000/shop-api:v1.2.3`,
      );
    }
    return image;
  }
  const repository = config.run.image;
  if (repository === undefined) {
    throw new GantryError('BAD_REQUEST', 'no image given and gantry.yaml has no run.image: pass --image REF');
  }
  if (!isImageTag(version)) {
    throw new GantryError(
      'BAD_REQUEST',
      `version ${version} cannot be a tag of ${repository} (letters, digits, _ . -, at most 128, not starting with . or -): pass --image REF`,
    );
  }
  return imageOfVersion(repository, version);
}

/** Refuses a version whose artifact the configured runtime cannot run. */
export function checkRunnable(config: GantryConfig, rec: VersionRecord): void {
  if (config.runtime.type === 'docker' && rec.artifactKind === 'dir') {
    throw new GantryError(
      'RUNTIME_UNAVAILABLE',
      `version ${rec.version} is an uploaded directory, but this server runs images (runtime docker): release an image under a new version`,
      { hint: 'Pass --image REF to gantry deploy/release, or set no runtime (process) to run directories.' },
    );
  }
  if (config.runtime.type !== 'docker' && rec.artifactKind === 'image') {
    throw new GantryError(
      'RUNTIME_UNAVAILABLE',
      `version ${rec.version} is the image ${rec.artifactRef}, but this server runs local processes: set \`runtime: docker\` in gantry.yaml and restart the server`,
    );
  }
}

function describeDigest(digest: string): string {
  return digest.startsWith(DIGEST_PREFIX) ? digest : `${DIGEST_PREFIX}${digest}`;
}

/**
 * Pulls the image a release names and records it as the version (201), or checks it against the
 * digest the version already has (200); a different digest is refused (409): versions are immutable.
 */
export async function recordImageVersion(
  deps: { store: Store; resolve: ResolveImage; config: GantryConfig },
  req: ImageVersionRequest,
): Promise<RecordedImage> {
  const existing = await deps.store.versions.get(req.service, req.version);
  if (existing) {
    checkRunnable(deps.config, existing);
    if (req.image === undefined) {
      await ensureImage(deps.resolve, existing);
      return { version: existing, created: false };
    }
  }
  const image = requestedImage(deps.config, req.version, req.image);
  const resolved = await deps.resolve({ kind: 'image', image });
  const hex = resolved.digest.slice(DIGEST_PREFIX.length);
  if (!resolved.digest.startsWith(DIGEST_PREFIX) || !/^[a-f0-9]{64}$/.test(hex)) {
    throw new GantryError(
      'IMAGE_UNAVAILABLE',
      `the engine answered no sha256 digest for ${image} (got ${JSON.stringify(resolved.digest)})`,
    );
  }
  if (existing) return { version: sameDigest(existing, image, hex), created: false };
  try {
    const version = await deps.store.versions.create({
      service: req.service,
      version: req.version,
      artifactKind: 'image',
      artifactRef: pinImage(image, resolved.digest),
      sha256: hex,
      sizeBytes: null,
      gitRef: req.gitRef ?? null,
      gitCommit: req.gitCommit ?? null,
    });
    return { version, created: true };
  } catch (err) {
    // Two releases of the same new version at once: the second checks the first one's digest.
    const raced = await deps.store.versions.get(req.service, req.version);
    if (err instanceof GantryError && err.code === 'VERSION_EXISTS' && raced) {
      checkRunnable(deps.config, raced);
      return { version: sameDigest(raced, image, hex), created: false };
    }
    throw err;
  }
}

function sameDigest(existing: VersionRecord, image: string, hex: string): VersionRecord {
  if (existing.sha256 === hex) return existing;
  throw new GantryError(
    'VERSION_EXISTS',
    `version ${existing.version} is ${existing.artifactRef}, but ${image} is now ${describeDigest(hex)}: versions are immutable`,
    {
      hint: 'Release the new build under a new version name (build once, promote the same bytes).',
      details: {
        version: existing.version,
        recorded: existing.artifactRef,
        image,
        digest: describeDigest(hex),
      },
    },
  );
}

/**
 * Before a release of an image version starts: the pinned reference is present (pulled again if
 * the engine lost it) and still has the recorded digest.
 */
export async function ensureImage(resolve: ResolveImage, rec: VersionRecord): Promise<void> {
  const pinned = pinnedImageOf(rec);
  if (pinned === undefined) return;
  const resolved = await resolve({ kind: 'image', image: pinned });
  if (resolved.digest !== digestOf(rec)) {
    throw new GantryError(
      'IMAGE_UNAVAILABLE',
      `the engine resolved ${pinned} to ${resolved.digest}, not the recorded ${digestOf(rec)}`,
    );
  }
}
