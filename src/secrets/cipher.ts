// AES-256-GCM sealing of one secret value: a fresh random 12-byte IV per value, the 16-byte
// authentication tag kept beside the ciphertext, and the row's identity (service, environment,
// name) as additional authenticated data, so a sealed value copied onto another row fails to open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealed {
  /** base64 */
  ciphertext: string;
  /** base64 of 12 bytes */
  iv: string;
  /** base64 of 16 bytes */
  tag: string;
}

export interface SecretAddress {
  service: string;
  environment: string;
  name: string;
}

/** Raised when a sealed value does not open: another key, or an altered row. Holds no value. */
export class SecretOpenError extends Error {
  constructor(where: SecretAddress) {
    super(
      `secret ${where.name} (${where.environment === '*' ? 'global' : where.environment}) does not decrypt: ` +
        'its row was altered or sealed with another key',
    );
    this.name = 'SecretOpenError';
  }
}

export function sealValue(key: Buffer, where: SecretAddress, value: string): Sealed {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(where));
  const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return {
    ciphertext: ciphertext.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

export function openValue(key: Buffer, where: SecretAddress, sealed: Sealed): string {
  const iv = Buffer.from(sealed.iv, 'base64');
  const tag = Buffer.from(sealed.tag, 'base64');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretOpenError(where);
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(where));
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([
      decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
      decipher.final(),
    ]);
    return plain.toString('utf8');
  } catch {
    throw new SecretOpenError(where);
  }
}

function associatedData(where: SecretAddress): Buffer {
  return Buffer.from(`gantry-secret\0${where.service}\0${where.environment}\0${where.name}`, 'utf8');
}
