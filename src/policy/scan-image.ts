// Does a `trivy image` report describe the image a version runs? A version recorded from an image
// keeps its digest; a report of another image, or of other bytes of the same
// repository, must not gate (or pass) it. Reports that name no image (trivy fs, grype of a
// directory, npm audit) are not checked here: they describe the source, not the bytes.
import { parseImageReference } from '../config/image-ref.ts';
import type { ScannedImage } from './types.ts';

/** Docker Hub's names for the same repository: `nginx`, `library/nginx`, `docker.io/library/nginx`. */
function canonicalRepository(repository: string): string {
  const withoutHub = repository.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '');
  return withoutHub.includes('/') ? withoutHub : `library/${withoutHub}`;
}

function digestOfReference(reference: string): string | undefined {
  return parseImageReference(reference)?.digest;
}

/**
 * Why `scanned` does not describe the image pinned as `pinned` (`repo@sha256:…`), or undefined
 * when it does: same digest when the report knows one, else the same repository (an image built
 * and scanned before its push has no digest yet).
 */
export function findImageMismatch(scanned: ScannedImage, pinned: string): string | undefined {
  const version = parseImageReference(pinned);
  const named = parseImageReference(scanned.name);
  if (!version?.digest) return undefined;
  const describe = `the report scanned ${scanned.name}, but the version is ${pinned}`;
  if (!named) return `${describe}: the report's ArtifactName is not an image reference`;
  const digests = [named.digest, ...scanned.repoDigests.map(digestOfReference)].filter(
    (d): d is string => d !== undefined,
  );
  if (digests.length > 0) return digests.includes(version.digest) ? undefined : `${describe} (other bytes)`;
  if (canonicalRepository(named.repository) !== canonicalRepository(version.repository)) {
    return `${describe} (another repository)`;
  }
  return undefined;
}
