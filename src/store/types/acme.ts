// What the store keeps for automatic HTTPS (ACME): an account per (directory, email) and the
// certificate of each environment. Private keys only ever arrive here sealed (AES-256-GCM under the
// master key, src/acme/vault.ts); certificates are public and kept as PEM.

/** A private key as the vault sealed it: base64 ciphertext, IV and tag, and the master key's id. */
export interface SealedKey {
  ciphertext: string;
  iv: string;
  tag: string;
  keyId: string;
}

export interface AcmeAccountRecord {
  directory: string;
  email: string;
  /** The account's URL at the CA (its `kid`). */
  accountUrl: string;
  key: SealedKey;
  createdAt: string;
}

export interface AcmeCertificateRecord {
  service: string;
  environment: string;
  /** The directory that issued it: another directory in gantry.yaml means a new certificate. */
  directory: string;
  /** The names it covers, sorted. */
  hosts: string[];
  /** The certificate and its chain, PEM. */
  certPem: string;
  key: SealedKey;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
}

/** The row a sealed key belongs to. */
export type AcmeKeyOwner =
  | { kind: 'account'; directory: string; email: string }
  | { kind: 'certificate'; service: string; environment: string };

export interface AcmeRepo {
  account(directory: string, email: string): Promise<AcmeAccountRecord | undefined>;
  putAccount(a: Omit<AcmeAccountRecord, 'createdAt'>): Promise<AcmeAccountRecord>;
  certificate(service: string, environment: string): Promise<AcmeCertificateRecord | undefined>;
  /** Replaces the environment's certificate (a renewal) or adds it. */
  putCertificate(c: Omit<AcmeCertificateRecord, 'issuedAt'>): Promise<AcmeCertificateRecord>;
  /** Replaces every sealed key (of every service) by `reseal`'s, in one transaction; returns how many. */
  rekey(reseal: (owner: AcmeKeyOwner, key: SealedKey) => SealedKey): Promise<number>;
}

interface SealedColumns {
  key_ciphertext: string;
  key_iv: string;
  key_tag: string;
  key_id: string;
}

export interface AcmeAccountsTable extends SealedColumns {
  directory: string;
  email: string;
  account_url: string;
  created_at: string;
}

export interface AcmeCertificatesTable extends SealedColumns {
  service: string;
  environment: string;
  directory: string;
  /** JSON array of host names, sorted. */
  hosts: string;
  cert_pem: string;
  not_before: string;
  not_after: string;
  issued_at: string;
}

/** The ACME tables as kysely sees them (part of the store's Database). */
export interface AcmeTables {
  acme_accounts: AcmeAccountsTable;
  acme_certificates: AcmeCertificatesTable;
}
