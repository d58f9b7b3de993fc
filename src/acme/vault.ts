// ACME's private keys in the store, sealed like secrets: the master key, AES-256-GCM, and an
// address bound into each value (the account's directory and email; the certificate's service and
// environment), so a sealed key copied onto another row does not open.
import type { Sealed, SecretAddress } from '../secrets/index.ts';
import type { AcmeKeyOwner, SealedKey } from '../store/types/acme.ts';

/** What the secrets store lends: sealing under the current master key (SecretService). */
export interface KeySealer {
  seal(where: SecretAddress, value: string): Sealed & { keyId: string };
  /** Throws when the value does not open (another key, another address, altered). */
  open(where: SecretAddress, sealed: Sealed & { keyId: string }): string;
}

export function accountKeyAddress(directory: string, email: string): SecretAddress {
  return { service: '*', environment: `acme-account ${directory}`, name: email };
}

export function certificateKeyAddress(service: string, environment: string): SecretAddress {
  return { service, environment, name: 'acme-certificate-key' };
}

/** The PEM, or undefined when it does not open (the caller then makes a new key). */
export function openKey(sealer: KeySealer, where: SecretAddress, sealed: SealedKey): string | undefined {
  try {
    return sealer.open(where, sealed);
  } catch {
    return undefined;
  }
}

export function keyAddress(owner: AcmeKeyOwner): SecretAddress {
  return owner.kind === 'account'
    ? accountKeyAddress(owner.directory, owner.email)
    : certificateKeyAddress(owner.service, owner.environment);
}
