// Secrets (issue 6): AES-256-GCM values under a master key, per environment, injected
// into instances, resolved for `${secret:NAME}` references, masked wherever output leaves Gantry.
export { openValue, type Sealed, type SecretAddress, SecretOpenError, sealValue } from './cipher.ts';
export { describeMissingSecrets, pickSecrets } from './inject.ts';
export {
  encodeMasterKey,
  generateMasterKey,
  KEY_FILE,
  keyFilePath,
  MASTER_KEY_ENV,
  type MasterKey,
  masterKeyId,
  parseMasterKey,
} from './master-key.ts';
export {
  checkSecretName,
  describeScope,
  GLOBAL_SCOPE,
  MAX_VALUE_BYTES,
  readSecretValue,
} from './names.ts';
export { cachedRedactor, type TextRedactor } from './redact.ts';
export { type ReleaseFinishSource, type RestartDeps, SecretRestarts } from './restart.ts';
export { type OpenSecretsOptions, type Resealer, SecretService } from './service.ts';
export { MIN_MASKED_LINE, spellingsOf } from './spellings.ts';
export type * from './types.ts';
