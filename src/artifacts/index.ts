export { artifactTooLarge } from './extract-tarball.ts';
export { assertServiceName, assertVersionName } from './names.ts';
export { packDirectory } from './pack-directory.ts';
export { isSkippedPath } from './skip.ts';
export {
  type ArtifactStore,
  checksumMismatch,
  createArtifactStore,
  DEFAULT_MAX_ENTRIES,
  type ImportedArtifact,
  type ImportOptions,
  UNPACKED_SIZE_FACTOR,
} from './store.ts';
