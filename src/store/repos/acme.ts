// ACME accounts and certificates as rows: keys move as sealed columns, never as PEM (see types/acme.ts).
import type { Kysely, Selectable } from 'kysely';
import type { Timestamper } from '../timestamps.ts';
import type {
  AcmeAccountRecord,
  AcmeAccountsTable,
  AcmeCertificateRecord,
  AcmeCertificatesTable,
  AcmeKeyOwner,
  AcmeRepo,
  AcmeTables,
  SealedKey,
} from '../types/acme.ts';

export class KyselyAcmeRepo implements AcmeRepo {
  readonly #db: Kysely<AcmeTables>;
  readonly #now: Timestamper;

  constructor(db: Kysely<AcmeTables>, now: Timestamper) {
    this.#db = db;
    this.#now = now;
  }

  async account(directory: string, email: string): Promise<AcmeAccountRecord | undefined> {
    const row = await this.#db
      .selectFrom('acme_accounts')
      .selectAll()
      .where('directory', '=', directory)
      .where('email', '=', email)
      .executeTakeFirst();
    return row && toAccount(row);
  }

  async putAccount(a: Omit<AcmeAccountRecord, 'createdAt'>): Promise<AcmeAccountRecord> {
    const row: Selectable<AcmeAccountsTable> = {
      directory: a.directory,
      email: a.email,
      account_url: a.accountUrl,
      ...sealedColumns(a.key),
      created_at: this.#now(),
    };
    await this.#db
      .insertInto('acme_accounts')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['directory', 'email']).doUpdateSet({
          account_url: row.account_url,
          key_ciphertext: row.key_ciphertext,
          key_iv: row.key_iv,
          key_tag: row.key_tag,
          key_id: row.key_id,
          created_at: row.created_at,
        }),
      )
      .execute();
    return toAccount(row);
  }

  async certificate(service: string, environment: string): Promise<AcmeCertificateRecord | undefined> {
    const row = await this.#db
      .selectFrom('acme_certificates')
      .selectAll()
      .where('service', '=', service)
      .where('environment', '=', environment)
      .executeTakeFirst();
    return row && toCertificate(row);
  }

  async putCertificate(c: Omit<AcmeCertificateRecord, 'issuedAt'>): Promise<AcmeCertificateRecord> {
    const row: Selectable<AcmeCertificatesTable> = {
      service: c.service,
      environment: c.environment,
      directory: c.directory,
      hosts: JSON.stringify([...c.hosts].sort()),
      cert_pem: c.certPem,
      ...sealedColumns(c.key),
      not_before: c.notBefore,
      not_after: c.notAfter,
      issued_at: this.#now(),
    };
    const { service, environment, ...changed } = row;
    await this.#db
      .insertInto('acme_certificates')
      .values(row)
      .onConflict((oc) => oc.columns(['service', 'environment']).doUpdateSet(changed))
      .execute();
    return toCertificate(row);
  }

  async rekey(reseal: (owner: AcmeKeyOwner, key: SealedKey) => SealedKey): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      const accounts = await trx.selectFrom('acme_accounts').selectAll().execute();
      const certificates = await trx.selectFrom('acme_certificates').selectAll().execute();
      for (const a of accounts) {
        const key = reseal({ kind: 'account', directory: a.directory, email: a.email }, sealedKey(a));
        await trx
          .updateTable('acme_accounts')
          .set(sealedColumns(key))
          .where('directory', '=', a.directory)
          .where('email', '=', a.email)
          .execute();
      }
      for (const c of certificates) {
        const owner = { kind: 'certificate' as const, service: c.service, environment: c.environment };
        await trx
          .updateTable('acme_certificates')
          .set(sealedColumns(reseal(owner, sealedKey(c))))
          .where('service', '=', c.service)
          .where('environment', '=', c.environment)
          .execute();
      }
      return accounts.length + certificates.length;
    });
  }
}

function sealedColumns(key: SealedKey) {
  return { key_ciphertext: key.ciphertext, key_iv: key.iv, key_tag: key.tag, key_id: key.keyId };
}

function sealedKey(row: Selectable<AcmeAccountsTable | AcmeCertificatesTable>): SealedKey {
  return { ciphertext: row.key_ciphertext, iv: row.key_iv, tag: row.key_tag, keyId: row.key_id };
}

function toAccount(row: Selectable<AcmeAccountsTable>): AcmeAccountRecord {
  return {
    directory: row.directory,
    email: row.email,
    accountUrl: row.account_url,
    key: sealedKey(row),
    createdAt: row.created_at,
  };
}

function toCertificate(row: Selectable<AcmeCertificatesTable>): AcmeCertificateRecord {
  return {
    service: row.service,
    environment: row.environment,
    directory: row.directory,
    hosts: JSON.parse(row.hosts) as string[],
    certPem: row.cert_pem,
    key: sealedKey(row),
    notBefore: row.not_before,
    notAfter: row.not_after,
    issuedAt: row.issued_at,
  };
}
