// Secrets as stored: AES-256-GCM ciphertext only, never a value.

/** A secret as stored: never its value, only the AES-256-GCM ciphertext (base64) sealing it. */
export interface SecretRecord {
  service: string;
  /** An environment's name, or '*' for the global secrets that `${secret:NAME}` references use. */
  environment: string;
  name: string;
  ciphertext: string;
  iv: string;
  tag: string;
  /** Id of the master key that sealed it. */
  keyId: string;
  updatedAt: string;
  updatedBy: string | null;
}

export interface SecretRepo {
  /** Every row (of a service and environment when given), ordered by service, environment, name. */
  list(q?: { service?: string; environment?: string }): Promise<SecretRecord[]>;
  get(service: string, environment: string, name: string): Promise<SecretRecord | undefined>;
  /** Inserts or replaces the row; `created` tells which. */
  put(s: Omit<SecretRecord, 'updatedAt'>): Promise<{ secret: SecretRecord; created: boolean }>;
  /** false when there was no such row. */
  remove(service: string, environment: string, name: string): Promise<boolean>;
  /**
   * Key rotation: replaces the sealed value and key id of every row in one transaction, each only
   * while it is still sealed by `fromKeyId`; throws (changing nothing) when any row was not.
   */
  rekey(
    fromKeyId: string,
    rows: Array<
      Pick<SecretRecord, 'service' | 'environment' | 'name' | 'ciphertext' | 'iv' | 'tag' | 'keyId'>
    >,
  ): Promise<void>;
}
