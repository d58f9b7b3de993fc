// What the ACME manager needs from the rest of Gantry, and what it hands back.

/** Answers HTTP-01 challenges: GET /.well-known/acme-challenge/<token> → keyAuthorization. */
export interface ChallengeResponder {
  set(token: string, keyAuthorization: string): Promise<void>;
  remove(token: string): Promise<void>;
}

/** An environment that wants a certificate through ACME (from gantry.yaml). */
export interface AcmeTarget {
  environment: string;
  hosts: string[];
  email: string;
  directory: string;
  /** PEM the directory's HTTPS certificate chains to (tls.acme.ca_file, read), when set. */
  directoryCa?: string;
}

/** A certificate the data plane serves for `hosts` (chosen by SNI). */
export interface ServedCertificate {
  hosts: string[];
  /** Certificate and chain, PEM. */
  cert: string;
  /** Private key, PEM. */
  key: string;
  notBefore: number;
  notAfter: number;
}

/** An environment's certificate state, for metrics and alarms. */
export interface CertificateStatus {
  environment: string;
  hosts: string[];
  /** Epoch ms; undefined while no certificate was obtained. */
  notAfter?: number;
  /** Failed attempts in a row (0 after a success). */
  consecutiveFailures: number;
  /** Failed attempts since this server started. */
  failuresTotal: number;
}
