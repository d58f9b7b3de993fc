// The shape of API tokens and session cookies: `gantry_` + 32 random bytes in base64url, stored
// only as a SHA-256 hash next to a short prefix that identifies the token without revealing it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'gantry_';
const TOKEN_PATTERN = /^gantry_[A-Za-z0-9_-]{43}$/;
/** `gantry_` and 8 characters of the random part: 48 of its 256 bits, the rest stays secret. */
const DISPLAY_PREFIX_LENGTH = TOKEN_PREFIX.length + 8;

export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** A dashboard session's cookie value: as random as a token, but not usable as one. */
export function generateSessionSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function isTokenShaped(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

export function tokenDisplayPrefix(token: string): string {
  return token.slice(0, DISPLAY_PREFIX_LENGTH);
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Compares two hex SHA-256 digests in constant time. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}
