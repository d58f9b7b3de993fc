// ACME rows in the store: accounts per (directory, email) and one certificate per environment,
// replaced on renewal; private keys only as sealed values that open at their own address alone.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { accountKeyAddress, certificateKeyAddress, keyAddress, openKey } from '../src/acme/vault.ts';
import { SecretService } from '../src/secrets/index.ts';
import { useStoreFixture } from './helpers/store.ts';

const fx = useStoreFixture();
const KEY_PEM =
  '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';

async function open() {
  const database = path.join(fx.dir(), 'gantry.db');
  const store = await fx.open(database);
  const secrets = await SecretService.open({ store, service: 'shop', dataDir: fx.dir(), database, env: {} });
  return { store, secrets };
}

describe('ACME store', () => {
  it('keeps one account per directory and email, and replaces an environment certificate on renewal', async () => {
    const { store, secrets } = await open();
    const where = accountKeyAddress('https://ca/dir', 'ops@example.com');
    await store.acme.putAccount({
      directory: 'https://ca/dir',
      email: 'ops@example.com',
      accountUrl: 'https://ca/acct/1',
      key: secrets.seal(where, KEY_PEM),
    });
    const account = await store.acme.account('https://ca/dir', 'ops@example.com');
    expect(account?.accountUrl).toBe('https://ca/acct/1');
    expect(account && openKey(secrets, where, account.key)).toBe(KEY_PEM);
    expect(await store.acme.account('https://ca/dir', 'dev@example.com')).toBeUndefined();

    const certWhere = certificateKeyAddress('shop', 'production');
    const cert = {
      service: 'shop',
      environment: 'production',
      directory: 'https://ca/dir',
      hosts: ['www.shop.test', 'shop.test'],
      key: secrets.seal(certWhere, KEY_PEM),
      notBefore: '2026-01-01T00:00:00.000Z',
    };
    await store.acme.putCertificate({ ...cert, certPem: 'FIRST', notAfter: '2026-04-01T00:00:00.000Z' });
    await store.acme.putCertificate({ ...cert, certPem: 'RENEWED', notAfter: '2026-05-01T00:00:00.000Z' });
    const row = await store.acme.certificate('shop', 'production');
    expect(row).toMatchObject({
      certPem: 'RENEWED',
      hosts: ['shop.test', 'www.shop.test'],
      notAfter: '2026-05-01T00:00:00.000Z',
    });
    expect(await store.acme.certificate('shop', 'staging')).toBeUndefined();
  });

  it('seals keys so that they open only at their own address and with the master key', async () => {
    const { secrets } = await open();
    const sealed = secrets.seal(certificateKeyAddress('shop', 'production'), KEY_PEM);
    expect(JSON.stringify(sealed)).not.toContain('PRIVATE KEY');
    expect(sealed.keyId).toBe(secrets.key.id);
    expect(openKey(secrets, certificateKeyAddress('shop', 'staging'), sealed)).toBeUndefined();
    expect(
      openKey(secrets, certificateKeyAddress('shop', 'production'), { ...sealed, keyId: 'another' }),
    ).toBeUndefined();
    expect(openKey(secrets, certificateKeyAddress('shop', 'production'), sealed)).toBe(KEY_PEM);
  });

  it('re-seals every ACME key under a new master key when it is rotated', async () => {
    const { store, secrets } = await open();
    secrets.onKeyRotated((reseal) => store.acme.rekey((owner, key) => reseal(keyAddress(owner), key)));
    const accountWhere = accountKeyAddress('https://ca/dir', 'ops@example.com');
    await store.acme.putAccount({
      directory: 'https://ca/dir',
      email: 'ops@example.com',
      accountUrl: 'https://ca/acct/1',
      key: secrets.seal(accountWhere, KEY_PEM),
    });
    const certWhere = certificateKeyAddress('shop', 'production');
    await store.acme.putCertificate({
      service: 'shop',
      environment: 'production',
      directory: 'https://ca/dir',
      hosts: ['shop.test'],
      certPem: 'CERT',
      key: secrets.seal(certWhere, KEY_PEM),
      notBefore: '2026-01-01T00:00:00.000Z',
      notAfter: '2026-04-01T00:00:00.000Z',
    });
    const before = secrets.key.id;
    await secrets.rotateKey();
    expect(secrets.key.id).not.toBe(before);
    const account = await store.acme.account('https://ca/dir', 'ops@example.com');
    const cert = await store.acme.certificate('shop', 'production');
    expect([account?.key.keyId, cert?.key.keyId]).toEqual([secrets.key.id, secrets.key.id]);
    expect(account && openKey(secrets, accountWhere, account.key)).toBe(KEY_PEM);
    expect(cert && openKey(secrets, certWhere, cert.key)).toBe(KEY_PEM);
  });
});
