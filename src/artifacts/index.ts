export { assertServiceName, assertVersionName } from './names.ts';
export { packDirectory } from './pack-directory.ts';
export { isSkippedPath } from './skip.ts';
export {
  type ArtifactStore,
  createArtifactStore,
  DEFAULT_MAX_ENTRIES,
  type ImportedArtifact,
  type ImportOptions,
  UNPACKED_SIZE_FACTOR,
} from './store.ts';
export { artifactTooLarge, checksumMismatch } from './upload-errors.ts';
export { declaredLength, type UploadedVersion, uploadVersion } from './upload-version.ts';
