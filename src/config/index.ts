// The configuration module's public API: load and validate gantry.yaml, match refs to
// environments, and the schema both as zod and as JSON Schema.
export { doAddressesOverlap, type HostPort, parseHostPort } from './address.ts';
export * from './defaults.ts';
export {
  DIGEST_PATTERN,
  type ImageReference,
  imageOfVersion,
  isImageTag,
  MAX_IMAGE_REFERENCE_LENGTH,
  parseImageReference,
  pinImage,
} from './image-ref.ts';
export { ConfigError, type ConfigIssue, formatIssue, formatIssues, formatPath } from './issues.ts';
export { generateJsonSchema, renderJsonSchema, SCHEMA_FILE, SCHEMA_ID } from './json-schema.ts';
export { loadConfigFile, parseConfig } from './load.ts';
export { BASE_METRICS, SYNTHETIC_METRICS } from './references.ts';
export { gantryConfigSchema } from './schema.ts';
export { engineAddress } from './schema-runtime.ts';
export {
  findSecretReferenceProblem,
  hasSecretReference,
  listSecretReferences,
  replaceSecretReferences,
  SECRET_FIELDS,
} from './secret-refs.ts';
export { matchesTrack, matchRef, type RefMatch } from './track.ts';
export type * from './types.ts';
export { formatDuration, formatSize, parseDuration, parsePerSecond, parseRate, parseSize } from './units.ts';
export { type ValidationResult, validateConfigValue } from './validate.ts';
