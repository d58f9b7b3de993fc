// A self-signed stand-in served by an ACME environment's HTTPS listener until its first certificate
// arrives. The listener (and with it the plain listener where the CA fetches the HTTP-01 answer)
// can only open with a certificate; clients see an untrusted one for those seconds, as they would
// see none. acme-client makes self-signed certificates only for TLS-ALPN-01, so this is one of
// those, for the first host, with a placeholder in its (unused) challenge extension.
import type acmeClient from 'acme-client';
import { requireOnUse } from '../lib/require-on-use.ts';
import type { ServedCertificate } from './types.ts';

export async function standInCertificate(hosts: string[]): Promise<ServedCertificate> {
  // Its name is also its CommonName, which holds at most 64 characters.
  const host = hosts.find((h) => h.length <= 64) ?? 'localhost';
  const authorization = { identifier: { type: 'dns', value: host } } as Parameters<
    typeof acmeClient.crypto.createAlpnCertificate
  >[0];
  const acme = requireOnUse<typeof acmeClient>('acme-client');
  const [key, cert] = await acme.crypto.createAlpnCertificate(
    authorization,
    'gantry stand-in',
    await acme.crypto.createPrivateEcdsaKey(),
  );
  const now = Date.now();
  return { hosts, cert: cert.toString(), key: key.toString(), notBefore: now, notAfter: now };
}
