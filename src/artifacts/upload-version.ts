// A version's artifact arriving over the API: refused at once when the request announces more bytes
// than the limit, compared by checksum when the version exists already (the same bytes are a no-op,
// others a conflict), otherwise imported, recorded and handed to the push triggers waiting for it.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GantryError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { ReleaseTriggerRecord, VersionRecord, VersionRepo } from '../store/types.ts';
import type { ArtifactStore } from './store.ts';
import { artifactTooLarge, checksumMismatch } from './upload-errors.ts';

export interface UploadVersionDeps {
  versions: Pick<VersionRepo, 'get' | 'create'>;
  artifacts: ArtifactStore;
  /** Largest upload accepted, in bytes (`gantry server --max-artifact-size`). */
  maxBytes: number;
  /** Most entries an upload may hold (`gantry server --max-artifact-entries`); default DEFAULT_MAX_ENTRIES. */
  maxEntries?: number;
  logger: Logger;
  /** Starts the triggers that waited for this version; failures are logged, not thrown. */
  versionUploaded: (v: VersionRecord) => Promise<ReleaseTriggerRecord[]>;
}

export interface UploadVersionRequest {
  service: string;
  version: string;
  body: Readable;
  /** The request's Content-Length, when it had one. */
  declaredBytes: number | undefined;
  /** The SHA-256 the client sent with the bytes (X-Checksum-Sha256). */
  expectedSha256: string | undefined;
  ref: string | null;
  commit: string | null;
}

export interface UploadedVersion {
  version: VersionRecord;
  /** False when the version already had exactly these bytes. */
  created: boolean;
  triggered?: ReleaseTriggerRecord[];
}

export async function uploadVersion(
  deps: UploadVersionDeps,
  req: UploadVersionRequest,
): Promise<UploadedVersion> {
  const { service, version, expectedSha256 } = req;
  // Before a byte is read: the client learns at once, instead of after sending the limit's worth.
  if (req.declaredBytes !== undefined && req.declaredBytes > deps.maxBytes) {
    throw artifactTooLarge(deps.maxBytes, req.declaredBytes);
  }
  const existing = await deps.versions.get(service, version);
  if (existing) {
    const { sha256, bytes } = await hashStream(req.body, deps.maxBytes);
    if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
      throw checksumMismatch(expectedSha256, sha256, bytes);
    }
    if (sha256 !== existing.sha256) {
      throw new GantryError(
        'VERSION_EXISTS',
        `version ${version} already exists with different content (sha256 ${existing.sha256})`,
      );
    }
    return { version: existing, created: false };
  }
  const imported = await deps.artifacts.importTarball(req.body, {
    service,
    version,
    maxBytes: deps.maxBytes,
    ...(deps.maxEntries !== undefined ? { maxEntries: deps.maxEntries } : {}),
    ...(expectedSha256 !== undefined ? { expectedSha256 } : {}),
  });
  let rec: VersionRecord;
  try {
    rec = await deps.versions.create({
      service,
      version,
      artifactKind: 'dir',
      artifactRef: imported.dir,
      sha256: imported.sha256,
      sizeBytes: imported.sizeBytes,
      gitRef: req.ref,
      gitCommit: req.commit,
    });
  } catch (err) {
    await deps.artifacts.remove(service, version).catch(() => {});
    throw err;
  }
  deps.logger.info(
    { version, sha256: imported.sha256, bytes: imported.sizeBytes, files: imported.files },
    'version uploaded',
  );
  // A push that waited for this version releases it now (checked against its ref and commit).
  const triggered = await deps.versionUploaded(rec).catch((err: unknown) => {
    deps.logger.error({ err, version }, 'starting the push triggers of an uploaded version failed');
    return [];
  });
  return { version: rec, created: true, triggered };
}

/** The Content-Length header as a number, or undefined when absent or not a plain count. */
export function declaredLength(header: string | undefined): number | undefined {
  if (header === undefined || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header);
}

/** SHA-256 of a stream read to its end (nothing kept), refused past maxBytes. */
async function hashStream(stream: Readable, maxBytes: number): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let n = 0;
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
    n += (chunk as Buffer).length;
    if (n > maxBytes) throw artifactTooLarge(maxBytes);
    hash.update(chunk as Buffer);
  }
  return { sha256: hash.digest('hex'), bytes: n };
}
