// What the rest of Gantry sees of the secrets: names and dates (never values) for people, values only
// for instance environments, config references and redaction.

/** A secret as listed by the API and the CLI. */
export interface SecretMeta {
  name: string;
  /** null for a global secret. */
  environment: string | null;
  updatedAt: string;
  updatedBy: string | null;
  /** The row exists but does not decrypt (altered in the database): treated as not set. */
  unreadable?: true;
}

export interface MasterKeyInfo {
  id: string;
  source: 'env' | 'file';
  /** The key file (source file), else the one that would be used without GANTRY_MASTER_KEY. */
  file: string;
}

export interface KeyRotationResult {
  previousKeyId: string;
  keyId: string;
  source: 'env' | 'file';
  /** Rows re-encrypted (every service's and environment's). */
  reencrypted: number;
  /** What the operator still has to do, if anything. */
  note: string;
}

/** What the fleet needs to start instances: their secrets, and a mask for their output. */
export interface InstanceSecretSource {
  /** Every readable secret of an environment (not the global ones), by name. */
  valuesFor(environment: string): Readonly<Record<string, string>>;
  /** `text` with every known secret value replaced. */
  redact(text: string): string;
}

/** The part of the release engine a secret change needs: a rolling restart of the current version. */
export interface RestartStarter {
  start(input: {
    environment: string;
    version: string;
    kind: 'restart';
    createdBy: string | null;
  }): Promise<{ id: string }>;
}

/** What setting or removing a secret did to the environment's instances. */
export interface RestartOutcome {
  /** The rolling restart started, or null when none was (see message). */
  releaseId: string | null;
  /** A release in progress: the restart starts when it finishes. */
  activeReleaseId?: string;
  message: string;
}
