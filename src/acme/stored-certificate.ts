// An environment's certificate as the store keeps it: used at start when it still fits the
// environment (same directory, same hosts) and its key opens, so a restart places no new order.
import { X509Certificate } from 'node:crypto';
import type { Logger } from '../lib/log.ts';
import type { AcmeCertificateRecord } from '../store/types/acme.ts';
import type { Store } from '../store/types.ts';
import type { AcmeTarget, ServedCertificate } from './types.ts';
import { certificateKeyAddress, type KeySealer, openKey } from './vault.ts';

/** The stored certificate, or undefined when there is none that fits (then one is ordered). */
export async function storedCertificate(opts: {
  store: Pick<Store, 'acme'>;
  sealer: KeySealer;
  service: string;
  target: AcmeTarget;
  logger: Logger;
}): Promise<ServedCertificate | undefined> {
  const { target } = opts;
  const row = await opts.store.acme.certificate(opts.service, target.environment);
  if (!row || !fits(row, target)) return undefined;
  const key = openKey(opts.sealer, certificateKeyAddress(opts.service, target.environment), row.key);
  if (key === undefined) {
    opts.logger.warn(
      { environment: target.environment },
      'the stored certificate key does not open with this master key: ordering a new certificate',
    );
    return undefined;
  }
  opts.logger.info(
    { environment: target.environment, hosts: target.hosts, validUntil: row.notAfter },
    'using the stored certificate',
  );
  return servedCertificate(target.hosts, row.certPem, key);
}

/** A PEM chain and its key, with the validity of the first certificate (the leaf). */
export function servedCertificate(hosts: string[], certPem: string, keyPem: string): ServedCertificate {
  const x509 = new X509Certificate(certPem);
  return {
    hosts,
    cert: certPem,
    key: keyPem,
    notBefore: Date.parse(x509.validFrom),
    notAfter: Date.parse(x509.validTo),
  };
}

function fits(row: AcmeCertificateRecord, target: AcmeTarget): boolean {
  const hosts = [...target.hosts].sort();
  return row.directory === target.directory && JSON.stringify(row.hosts) === JSON.stringify(hosts);
}
