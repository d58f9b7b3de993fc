// Signed acknowledgement links: an escalation page carries a URL that acknowledges the alert it
// is about without a token. The link names the alarm, environment and firing (so an old link
// cannot acknowledge a later firing), whom it paged, and when it expires; it is signed with
// HMAC-SHA256 under a key kept in the data directory (ack-link.key, created on first start).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** How long an acknowledgement link works after the page that carried it. */
export const ACK_LINK_TTL_MS = 7 * 24 * 3600 * 1000;
export const ACK_LINK_KEY_FILE = 'ack-link.key';

export interface AckLinkClaims {
  /** Absent from links signed before alert groups were per service. */
  service?: string;
  alarm: string;
  environment: string;
  /** The firing (episode) the link acknowledges. */
  episode: string;
  /** Who was paged, for the record of who acknowledged. */
  person?: string;
  /** Epoch ms. */
  expiresAt: number;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function mac(key: Buffer, body: string): Buffer {
  return createHmac('sha256', key).update(body, 'utf8').digest();
}

export function signAckLink(key: Buffer, claims: AckLinkClaims): string {
  const body = b64(JSON.stringify(claims));
  return `${body}.${b64(mac(key, body))}`;
}

/** The claims of a valid, unexpired token, or a message saying why it is refused. */
export function verifyAckLink(key: Buffer, token: string, now: number): AckLinkClaims | string {
  const [body, sig, extra] = token.split('.');
  if (!body || !sig || extra !== undefined) return 'not an acknowledgement link';
  const given = Buffer.from(sig, 'base64url');
  const wanted = mac(key, body);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    return 'the link is not signed by this Gantry server (or was altered)';
  }
  let claims: AckLinkClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as AckLinkClaims;
  } catch {
    return 'not an acknowledgement link';
  }
  if (typeof claims.expiresAt !== 'number' || claims.expiresAt <= now) {
    return 'the link has expired: acknowledge with gantry incidents ack ID or on the dashboard';
  }
  return claims;
}

/** The server's link key, created (random, readable by the owner only) when missing. */
export async function loadAckLinkKey(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, ACK_LINK_KEY_FILE);
  try {
    const hex = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(hex)) return Buffer.from(hex, 'hex');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32);
  await writeFile(file, `${key.toString('hex')}\n`, { mode: 0o600 });
  return key;
}
