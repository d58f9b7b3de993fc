// GitHub signs each delivery with HMAC-SHA256 of the raw body under the webhook's secret and
// sends it as `X-Hub-Signature-256: sha256=<hex>`; @octokit/webhooks-methods compares in
// constant time. The older SHA-1 header is not accepted.
import { verify } from '@octokit/webhooks-methods';

const SIGNATURE = /^sha256=[0-9a-f]{64}$/;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export async function checkGithubSignature(
  secret: string,
  rawBody: Buffer,
  header: string | undefined,
): Promise<SignatureCheck> {
  if (!header) return { ok: false, reason: 'the delivery has no X-Hub-Signature-256 header' };
  if (!SIGNATURE.test(header)) {
    return { ok: false, reason: 'X-Hub-Signature-256 is not of the form sha256=<64 hex digits>' };
  }
  if (rawBody.length === 0) return { ok: false, reason: 'the delivery has an empty body' };
  const text = rawBody.toString('utf8');
  // The library signs a string; a body that is not UTF-8 would not survive the round trip.
  if (!Buffer.from(text, 'utf8').equals(rawBody)) return { ok: false, reason: 'the body is not UTF-8' };
  const valid = await verify(secret, text, header);
  return valid
    ? { ok: true }
    : { ok: false, reason: 'X-Hub-Signature-256 does not match the body under the configured secret' };
}
