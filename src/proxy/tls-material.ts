// TLS certificate and key of an environment: read (from files, or given as PEM text) and checked
// with errors that name the file and say what to do, and watched so a renewed pair is picked up without a restart. The files are
// polled by stat (fs.watchFile) rather than fs.watch: renewals replace files by rename or swap a
// symlink (certbot's live/, Kubernetes secret volumes), which path-based polling follows.
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync, type Stats, unwatchFile, watchFile } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../lib/log.ts';

export const DEFAULT_TLS_WATCH_INTERVAL_MS = 2_000;

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  subject: string;
  validTo: Date;
  fingerprint256: string;
}

export class TlsFileError extends Error {
  readonly file: string;
  constructor(file: string, message: string) {
    super(message);
    this.name = 'TlsFileError';
    this.file = file;
  }
}

/** Reads and checks a certificate and its key; throws a TlsFileError naming the file at fault. */
export function loadTlsMaterial(environment: string, files: TlsFiles): TlsMaterial {
  const where = (key: 'cert' | 'key') => `(environments.${environment}.tls.${key} in gantry.yaml)`;
  const cert = readPem(environment, 'certificate', files.certFile, where('cert'));
  const key = readPem(environment, 'key', files.keyFile, where('key'));
  return checkPair(environment, cert, key, {
    cert: files.certFile,
    key: files.keyFile,
    certWhere: where('cert'),
    keyWhere: where('key'),
    mismatch: `the key in ${files.keyFile} does not belong to the certificate in ${files.certFile}`,
  });
}

/** Checks a certificate and key given as PEM text (e.g. obtained through ACME) for `hosts`. */
export function tlsMaterialFromPem(
  environment: string,
  pem: { hosts: readonly string[]; cert: string; key: string },
): TlsMaterial {
  const name = `the certificate for ${pem.hosts.join(', ') || 'no host'}`;
  const where = '(given to the data plane as PEM text)';
  return checkPair(environment, Buffer.from(pem.cert), Buffer.from(pem.key), {
    cert: name,
    key: `the key given with ${name}`,
    certWhere: where,
    keyWhere: where,
    mismatch: `the key given with ${name} does not belong to it`,
  });
}

function checkPair(
  environment: string,
  cert: Buffer,
  key: Buffer,
  names: { cert: string; key: string; certWhere: string; keyWhere: string; mismatch: string },
): TlsMaterial {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new TlsFileError(
      names.cert,
      `environment ${environment}: ${names.cert} holds no PEM certificate ("-----BEGIN CERTIFICATE-----") ${names.certWhere}`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsFileError(
      names.key,
      `environment ${environment}: ${names.key} holds no usable PEM private key (it must not be passphrase-protected) ${names.keyWhere}`,
    );
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsFileError(
      names.key,
      `environment ${environment}: ${names.mismatch}: install the matching pair`,
    );
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new TlsFileError(
      names.cert,
      `environment ${environment}: ${names.cert} and ${names.key} cannot be used for TLS: ${(err as Error).message}`,
    );
  }
  return {
    cert,
    key,
    subject: x509.subject.replace(/\n/g, ', '),
    validTo: new Date(x509.validTo),
    fingerprint256: x509.fingerprint256,
  };
}

function readPem(environment: string, what: string, file: string, where: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist: check the path (relative paths start at the directory of gantry.yaml)'
        : code === 'EACCES' || code === 'EPERM'
          ? 'is not readable by the user running Gantry (permission denied): adjust its mode or owner'
          : code === 'EISDIR'
            ? 'is a directory, not a PEM file'
            : `cannot be read (${code ?? (err as Error).message})`;
    throw new TlsFileError(file, `environment ${environment}: the TLS ${what} file ${file} ${why} ${where}`);
  }
}

export interface TlsWatch {
  stop(): void;
}

/**
 * Calls `onLoad` with the new material whenever the pair changes and loads cleanly; a pair that
 * does not (a half-written renewal, a key of another certificate) is logged and the old one kept.
 */
export function watchTlsFiles(opts: {
  environment: string;
  files: TlsFiles;
  intervalMs: number;
  logger: Logger;
  onLoad: (m: TlsMaterial) => void;
}): TlsWatch {
  const { environment, files, logger } = opts;
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    timer = undefined;
    let m: TlsMaterial;
    try {
      m = loadTlsMaterial(environment, files);
    } catch (err) {
      logger.error(
        { environment, file: (err as TlsFileError).file },
        `TLS files changed but cannot be used; still serving the previous certificate: ${(err as Error).message}`,
      );
      return;
    }
    opts.onLoad(m);
    logger.info(
      { environment, subject: m.subject, validTo: m.validTo.toISOString(), fingerprint256: m.fingerprint256 },
      'TLS certificate reloaded',
    );
    warnIfExpired(logger, environment, files.certFile, m);
  };
  // A renewal writes two files one after the other: wait for a quiet interval before reading them.
  const changed = (curr: Stats, prev: Stats) => {
    if (curr.mtimeMs === prev.mtimeMs && curr.ino === prev.ino && curr.size === prev.size) return;
    clearTimeout(timer);
    timer = setTimeout(reload, opts.intervalMs);
    timer.unref();
  };
  const options = { interval: opts.intervalMs, persistent: false };
  watchFile(files.certFile, options, changed);
  watchFile(files.keyFile, options, changed);
  return {
    stop() {
      clearTimeout(timer);
      unwatchFile(files.certFile, changed);
      unwatchFile(files.keyFile, changed);
    },
  };
}

export function warnIfExpired(logger: Logger, environment: string, certFile: string, m: TlsMaterial): void {
  if (m.validTo.getTime() > Date.now()) return;
  logger.warn(
    { environment, file: certFile, validTo: m.validTo.toISOString() },
    'the TLS certificate has expired: clients will refuse it until it is renewed',
  );
}
