// The artifact upload's checksum: the client sends the SHA-256 of the exact bytes of the body as
// `X-Checksum-Sha256: <64 hex digits>`; the server hashes while it streams and stores nothing
// when they differ (422 CHECKSUM_MISMATCH). A header, not a query parameter, so that the URL
// stays the same whatever the bytes.
import type { IncomingHttpHeaders } from 'node:http';
import { GantryError } from '../lib/errors.ts';

export const CHECKSUM_HEADER = 'x-checksum-sha256';
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/** The checksum the client sent (lower-case hex), or undefined when it sent none. */
export function readChecksumHeader(headers: IncomingHttpHeaders): string | undefined {
  const raw = headers[CHECKSUM_HEADER];
  if (raw === undefined) return undefined;
  const value = (Array.isArray(raw) ? raw.join(',') : raw).trim();
  if (!SHA256_HEX.test(value)) {
    throw new GantryError(
      'BAD_REQUEST',
      'X-Checksum-Sha256 must be the SHA-256 of the body as 64 hexadecimal digits',
      { hint: 'Compute it with `sha256sum FILE` (the first word) over the exact bytes sent.' },
    );
  }
  return value.toLowerCase();
}
