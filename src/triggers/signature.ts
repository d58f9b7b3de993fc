// GitHub signs each delivery with HMAC-SHA256 of the raw body under the webhook's secret and
// sends it as `X-Hub-Signature-256: sha256=<hex>`. The signature is checked as the body streams
// in: a delivery without a well-formed signature header is refused before a byte of its body is
// read, and one larger than the limit is refused as soon as it passes it, so unsigned or oversized
// posts cannot make the server hold their bodies. The older SHA-1 header is not accepted.
import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export type SignedBody =
  | { ok: true; body: Buffer }
  | { ok: false; reason: string; tooLarge?: { maxBytes: number; atLeast: number } };

/** Is the header present and of the form sha256=<64 hex digits>? Checked before any body is read. */
export function checkSignatureHeader(header: string | undefined): SignatureCheck {
  if (!header) return { ok: false, reason: 'the delivery has no X-Hub-Signature-256 header' };
  if (!SIGNATURE.test(header)) {
    return { ok: false, reason: 'X-Hub-Signature-256 is not of the form sha256=<64 hex digits>' };
  }
  return { ok: true };
}

/**
 * Reads a delivery's body up to `maxBytes`, hashing it as it arrives, and answers the body only
 * when its HMAC matches the header (compared in constant time).
 */
export async function readSignedBody(
  body: Buffer | AsyncIterable<Buffer | Uint8Array>,
  secret: string,
  header: string | undefined,
  maxBytes: number,
): Promise<SignedBody> {
  const format = checkSignatureHeader(header);
  if (!format.ok) return format;
  const hmac = createHmac('sha256', secret);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of Buffer.isBuffer(body) ? [body] : body) {
    size += chunk.length;
    if (size > maxBytes) {
      return {
        ok: false,
        reason: `the delivery is larger than ${maxBytes} bytes (triggers.github.max_body)`,
        tooLarge: { maxBytes, atLeast: size },
      };
    }
    hmac.update(chunk);
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  }
  if (size === 0) return { ok: false, reason: 'the delivery has an empty body' };
  const expected = hmac.digest();
  const sent = Buffer.from(SIGNATURE.exec(header ?? '')?.[1] ?? '', 'hex');
  if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
    return { ok: false, reason: 'X-Hub-Signature-256 does not match the body under the configured secret' };
  }
  return { ok: true, body: Buffer.concat(chunks, size) };
}

/** The whole-buffer form of readSignedBody (no size limit). */
export async function checkGithubSignature(
  secret: string,
  rawBody: Buffer,
  header: string | undefined,
): Promise<SignatureCheck> {
  const read = await readSignedBody(rawBody, secret, header, Number.POSITIVE_INFINITY);
  return read.ok ? { ok: true } : { ok: false, reason: read.reason };
}
