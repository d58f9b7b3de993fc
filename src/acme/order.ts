// One certificate order through ACME (acme-client): the account (registered on first use, its
// key made here), a fresh key and CSR for the hosts, HTTP-01 challenges handed to the responder for
// the data plane to answer, and the issued chain back. Nothing here touches the store.
import type acmeClient from 'acme-client';
import { requireOnUse } from '../lib/require-on-use.ts';
import type { ChallengeResponder } from './types.ts';

/** RFC 5280's upper bound of a CommonName. */
const MAX_COMMON_NAME = 64;

export interface OrderInput {
  directory: string;
  email: string;
  hosts: string[];
  /** The account's key and URL, when one was registered before. */
  account?: { keyPem: string; url: string };
  responder: ChallengeResponder;
  /** Polling of the CA while it validates: first and longest wait (acme-client's backoff). */
  pollMinMs?: number;
  pollMaxMs?: number;
}

export interface OrderResult {
  account: { keyPem: string; url: string };
  /** The certificate and its chain, PEM. */
  certPem: string;
  keyPem: string;
}

/** Places the order and answers its challenges; rejects with the CA's reason when one fails. */
export async function orderCertificate(input: OrderInput): Promise<OrderResult> {
  const acme = requireOnUse<typeof acmeClient>('acme-client');
  const accountKey = input.account?.keyPem ?? (await acme.crypto.createPrivateEcdsaKey()).toString();
  const client = new acme.Client({
    directoryUrl: input.directory,
    accountKey,
    ...(input.account ? { accountUrl: input.account.url } : {}),
    ...(input.pollMinMs !== undefined ? { backoffMin: input.pollMinMs } : {}),
    ...(input.pollMaxMs !== undefined ? { backoffMax: input.pollMaxMs } : {}),
  });
  // The names go in subjectAltName; the first is also the subject's CN when it fits one (64 chars).
  const first = input.hosts[0] ?? '';
  const [key, csr] = await acme.crypto.createCsr(
    { ...(first.length <= MAX_COMMON_NAME ? { commonName: first } : {}), altNames: input.hosts },
    await acme.crypto.createPrivateEcdsaKey(),
  );
  const certPem = await client.auto({
    csr,
    email: input.email,
    termsOfServiceAgreed: true,
    challengePriority: ['http-01'],
    // The CA's own check is the one that counts; a self-check through public DNS to port 80
    // fails behind NAT without hairpinning and would add nothing the CA does not say.
    skipChallengeVerification: true,
    challengeCreateFn: (_authz, challenge, keyAuthorization) =>
      input.responder.set(challenge.token, keyAuthorization),
    challengeRemoveFn: (_authz, challenge) => input.responder.remove(challenge.token),
  });
  return { account: { keyPem: accountKey, url: client.getAccountUrl() }, certPem, keyPem: key.toString() };
}
