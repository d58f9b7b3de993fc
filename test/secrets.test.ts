// The secrets store on its own: sealing, the master key (variable, key file, modes), the service over
// a real database, SQLite file or PostgreSQL (nothing in clear on disk, a wrong key refused with the key ids, rotation).
import { randomBytes } from 'node:crypto';
import { chmod, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { secretValues, secretValuesCache } from '../src/app/secret-values.ts';
import type { LoadedConfig } from '../src/config/types.ts';
import type { GantryError } from '../src/lib/errors.ts';
import {
  encodeMasterKey,
  masterKeyId,
  openValue,
  parseMasterKey,
  SecretOpenError,
  SecretService,
  sealValue,
} from '../src/secrets/index.ts';
import { loadMasterKey, stageKeyFile } from '../src/secrets/master-key.ts';
import { openStore, type Store } from '../src/store/index.ts';
import { useStoreFixture } from './helpers/store.ts';

const fixture = useStoreFixture();
const VALUE = 'postgres://app:S3cr3t-V4lue-9f2c@db.internal:5432/shop';
const where = { service: 'shop', environment: 'staging', name: 'DATABASE_URL' };

function caught(fn: () => unknown): GantryError {
  try {
    fn();
  } catch (err) {
    return err as GantryError;
  }
  throw new Error('expected an error');
}

async function rejection(p: Promise<unknown>): Promise<GantryError> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err as GantryError,
  );
}

describe('sealing', () => {
  const key = randomBytes(32);

  it('round-trips with a fresh IV each time, and refuses another key, an altered row or another address', () => {
    const a = sealValue(key, where, VALUE);
    const b = sealValue(key, where, VALUE);
    expect(openValue(key, where, a)).toBe(VALUE);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(Buffer.from(a.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(a.tag, 'base64')).toHaveLength(16);
    expect(() => openValue(randomBytes(32), where, a)).toThrow(SecretOpenError);
    const flipped = Buffer.from(a.ciphertext, 'base64');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() => openValue(key, where, { ...a, ciphertext: flipped.toString('base64') })).toThrow(
      SecretOpenError,
    );
    // A sealed value copied onto another secret's row does not open there.
    expect(() => openValue(key, { ...where, name: 'OTHER' }, a)).toThrow(SecretOpenError);
    expect(() => openValue(key, { ...where, environment: 'production' }, a)).toThrow(SecretOpenError);
  });
});

describe('master key', () => {
  it('reads 64 hex digits or base64 of 32 bytes, and says what is wrong without quoting the text', () => {
    const key = randomBytes(32);
    expect(parseMasterKey(key.toString('hex'), 'K')).toEqual(key);
    expect(parseMasterKey(` ${key.toString('base64')}\n`, 'K')).toEqual(key);
    expect(parseMasterKey(key.toString('base64url'), 'K')).toEqual(key);

    const short = randomBytes(16).toString('base64');
    const e1 = caught(() => parseMasterKey(short, 'GANTRY_MASTER_KEY'));
    expect(e1.code).toBe('MASTER_KEY_INVALID');
    expect(e1.message).toMatch(
      /^GANTRY_MASTER_KEY decodes \(as base64\) to 16 bytes, and a master key has 32: write 32 bytes/,
    );
    expect(e1.hint).toContain('openssl rand -base64 32');
    const e2 = caught(() => parseMasterKey('not a key: s3cr3t!', 'GANTRY_MASTER_KEY'));
    expect(e2.message).toContain('neither 64 hex digits nor base64');
    expect(JSON.stringify(e2.toJSON())).not.toContain('s3cr3t');
    expect(caught(() => parseMasterKey('', 'GANTRY_MASTER_KEY')).message).toContain('is empty');
  });

  it('creates <data-dir>/master.key with mode 0600 once, and refuses one others can read', async () => {
    const dir = fixture.dir();
    const first = await loadMasterKey({ dataDir: dir, env: {}, sealedWith: new Set() });
    expect(first.source).toBe('file');
    expect(first.created).toBe(true);
    const file = path.join(dir, 'master.key');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const again = await loadMasterKey({ dataDir: dir, env: {}, sealedWith: new Set([first.id]) });
    expect(again.id).toBe(first.id);
    expect(again.created).toBeUndefined();

    await chmod(file, 0o640);
    const err = await rejection(loadMasterKey({ dataDir: dir, env: {}, sealedWith: new Set() }));
    expect(err.code).toBe('MASTER_KEY_INVALID');
    expect(err.message).toContain('can be read by its group (mode 0640)');
    expect(err.message).toContain(`run \`chmod 600 ${file}\``);
    await chmod(file, 0o604);
    expect(
      (await rejection(loadMasterKey({ dataDir: dir, env: {}, sealedWith: new Set() }))).message,
    ).toContain('other users');
  });

  it('takes GANTRY_MASTER_KEY over the file, and never makes up a key when secrets exist', async () => {
    const dir = fixture.dir();
    const key = randomBytes(32);
    const fromEnv = await loadMasterKey({
      dataDir: dir,
      env: { GANTRY_MASTER_KEY: key.toString('hex') },
      sealedWith: new Set(),
    });
    expect(fromEnv).toMatchObject({ source: 'env', id: masterKeyId(key) });
    expect(await readdir(dir)).toEqual([]);
    const err = await rejection(loadMasterKey({ dataDir: dir, env: {}, sealedWith: new Set(['0123abcd']) }));
    expect(err.code).toBe('MASTER_KEY_MISMATCH');
    expect(err.message).toContain('master key 0123abcd');
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('SecretService', () => {
  async function open(store: Store, env: Record<string, string | undefined> = {}) {
    const dir = fixture.dir();
    return SecretService.open({
      store,
      service: 'shop',
      dataDir: dir,
      database: path.join(dir, 'gantry.db'),
      env,
    });
  }

  it('keeps only ciphertext on disk, lists names, and opens the values again after a restart', async () => {
    const dbFile = path.join(fixture.dir(), 'gantry.db');
    const store = await fixture.open(dbFile);
    const secrets = await open(store);
    const set = await secrets.set('staging', 'DATABASE_URL', VALUE, 'alice');
    expect(set.created).toBe(true);
    expect((await secrets.set('staging', 'DATABASE_URL', VALUE, 'bob')).created).toBe(false);
    await secrets.set('production', 'DATABASE_URL', `${VALUE}-prod`, 'bob');
    await secrets.set('*', 'SLACK_WEBHOOK', 'https://hooks.slack.example/T0/B0/xyzzy', 'bob');

    expect(secrets.list('staging')).toEqual([
      { name: 'DATABASE_URL', environment: 'staging', updatedAt: expect.any(String), updatedBy: 'bob' },
    ]);
    expect(JSON.stringify(secrets.list('staging'))).not.toContain(VALUE);
    expect(secrets.valuesFor('staging')).toEqual({ DATABASE_URL: VALUE });
    expect(secrets.valuesFor('production')).toEqual({ DATABASE_URL: `${VALUE}-prod` });
    expect(secrets.lookup('SLACK_WEBHOOK')).toBe('https://hooks.slack.example/T0/B0/xyzzy');

    const rows = await fixture.query(dbFile, 'select * from secrets order by environment');
    expect(rows).toHaveLength(3);
    expect(Object.keys(rows[0] ?? {}).sort()).toEqual(
      [
        'ciphertext',
        'environment',
        'iv',
        'key_id',
        'name',
        'service',
        'tag',
        'updated_at',
        'updated_by',
      ].sort(),
    );
    expect(JSON.stringify(rows)).not.toContain('S3cr3t');
    for (const f of await readdir(fixture.dir())) {
      if (f.startsWith('gantry.db')) {
        expect((await readFile(path.join(fixture.dir(), f))).includes('S3cr3t-V4lue')).toBe(false);
      }
    }

    await store.close();
    const reopened = await open(await fixture.open(dbFile));
    expect(reopened.valuesFor('staging')).toEqual({ DATABASE_URL: VALUE });
    expect(await reopened.remove('staging', 'DATABASE_URL')).toBe(true);
    expect(await reopened.remove('staging', 'DATABASE_URL')).toBe(false);
    expect(reopened.valuesFor('staging')).toEqual({});
  });

  it('refuses to start with another master key, naming the key ids, never opening garbage', async () => {
    const dbFile = path.join(fixture.dir(), 'gantry.db');
    const right = randomBytes(32);
    const secrets = await open(await fixture.open(dbFile), { GANTRY_MASTER_KEY: right.toString('base64') });
    await secrets.set('staging', 'DATABASE_URL', VALUE, null);
    const wrong = randomBytes(32);
    const err = await rejection(
      open(await fixture.open(dbFile), { GANTRY_MASTER_KEY: wrong.toString('base64') }),
    );
    expect(err.code).toBe('MASTER_KEY_MISMATCH');
    expect(err.message).toBe(
      `the secrets in ${dbFile} were encrypted with a different master key (key id ${masterKeyId(right)}), ` +
        `not the key from GANTRY_MASTER_KEY (key id ${masterKeyId(wrong)}): ` +
        `set GANTRY_MASTER_KEY to the key with id ${masterKeyId(right)} (the one they were set or last rotated with)`,
    );
    // Without the variable there is no key file to fall back on: refused too, no key made up.
    const none = await rejection(open(await fixture.open(dbFile), {}));
    expect(none.code).toBe('MASTER_KEY_MISMATCH');
    expect(await readdir(fixture.dir())).not.toContain('master.key');
  });

  it('counts an altered row as not set and says so, without failing the others', async () => {
    const dbFile = path.join(fixture.dir(), 'gantry.db');
    const store = await fixture.open(dbFile);
    const secrets = await open(store);
    await secrets.set('staging', 'A_TOKEN', 'first-value', null);
    await secrets.set('staging', 'B_TOKEN', 'second-value', null);
    await fixture.query(dbFile, "update secrets set tag = ? where name = 'A_TOKEN'", [
      Buffer.alloc(16).toString('base64'),
    ]);
    const reopened = await open(await fixture.open(dbFile));
    expect(reopened.valuesFor('staging')).toEqual({ B_TOKEN: 'second-value' });
    expect(reopened.list('staging')[0]).toMatchObject({ name: 'A_TOKEN', unreadable: true });
  });

  it('rotates the key file: new ciphertext and key id, same values, the old key refused', async () => {
    const dir = fixture.dir();
    const dbFile = path.join(dir, 'gantry.db');
    const secrets = await open(await fixture.open(dbFile));
    await secrets.set('staging', 'DATABASE_URL', VALUE, null);
    await secrets.set('*', 'SMTP_PASSWORD', 'smtp-pass-123', null);
    const before = await fixture.query(dbFile, 'select * from secrets order by name');
    const oldKey = await readFile(path.join(dir, 'master.key'), 'utf8');

    const r = await secrets.rotateKey();
    expect(r).toMatchObject({ previousKeyId: masterKeyId(parseMasterKey(oldKey, 'k')), reencrypted: 2 });
    const after = await fixture.query(dbFile, 'select * from secrets order by name');
    for (const [i, row] of after.entries()) {
      expect(row.key_id).toBe(r.keyId);
      expect(row.ciphertext).not.toBe(before[i]?.ciphertext);
      expect(row.iv).not.toBe(before[i]?.iv);
    }
    const newKey = await readFile(path.join(dir, 'master.key'), 'utf8');
    expect(newKey).not.toBe(oldKey);
    expect((await stat(path.join(dir, 'master.key'))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).not.toContain('master.key.next');
    expect(secrets.valuesFor('staging')).toEqual({ DATABASE_URL: VALUE });

    const reopened = await open(await fixture.open(dbFile));
    expect(reopened.valuesFor('staging')).toEqual({ DATABASE_URL: VALUE });
    expect(reopened.lookup('SMTP_PASSWORD')).toBe('smtp-pass-123');
    const err = await rejection(open(await fixture.open(dbFile), { GANTRY_MASTER_KEY: oldKey.trim() }));
    expect(err.code).toBe('MASTER_KEY_MISMATCH');
    expect(err.message).toContain(`(key id ${r.keyId})`);
  });

  it('rotates a key from GANTRY_MASTER_KEY only to a given key, which then has to be set', async () => {
    const dbFile = path.join(fixture.dir(), 'gantry.db');
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const secrets = await open(await fixture.open(dbFile), { GANTRY_MASTER_KEY: encodeMasterKey(k1) });
    await secrets.set('staging', 'DATABASE_URL', VALUE, null);
    const refused = await rejection(secrets.rotateKey());
    expect(refused.code).toBe('MASTER_KEY_FROM_ENV');
    expect((await rejection(secrets.rotateKey(k1))).message).toContain('is the current one');
    const r = await secrets.rotateKey(k2);
    expect(r.note).toContain('set GANTRY_MASTER_KEY to the new key');
    expect(await readdir(fixture.dir())).not.toContain('master.key');
    await rejection(open(await fixture.open(dbFile), { GANTRY_MASTER_KEY: encodeMasterKey(k1) }));
    const withK2 = await open(await fixture.open(dbFile), { GANTRY_MASTER_KEY: encodeMasterKey(k2) });
    expect(withK2.valuesFor('staging')).toEqual({ DATABASE_URL: VALUE });
  });

  it('finishes a rotation a crash cut between the database commit and the key file rename', async () => {
    const dir = fixture.dir();
    const dbFile = path.join(dir, 'gantry.db');
    const store = await fixture.open(dbFile);
    const secrets = await open(store);
    await secrets.set('staging', 'DATABASE_URL', VALUE, null);
    const oldId = secrets.key.id;
    // What rotateKey does up to the crash: stage the new key, commit the database.
    const next = randomBytes(32);
    await stageKeyFile(dir, next);
    const rows = await store.secrets.list();
    await store.secrets.rekey(
      oldId,
      rows.map((r) => ({ ...r, ...sealValue(next, r, VALUE), keyId: masterKeyId(next) })),
    );
    const reopened = await open(await fixture.open(dbFile));
    expect(reopened.key.id).toBe(masterKeyId(next));
    expect(reopened.valuesFor('staging')).toEqual({ DATABASE_URL: VALUE });
    expect(await readdir(dir)).not.toContain('master.key.next');
    // A staged key the database never used is dropped.
    await stageKeyFile(dir, randomBytes(32));
    expect((await open(await fixture.open(dbFile))).key.id).toBe(masterKeyId(next));
    expect(await readdir(dir)).not.toContain('master.key.next');
  });

  it('resolves references from the global secret, else the server variable, and masks both', async () => {
    const store = await openStore({ kind: 'sqlite', path: ':memory:' });
    try {
      const secrets = await open(store, { HOOK_KEY: 'from-the-environment', SMTP_PASSWORD: 'env-smtp' });
      await secrets.set('*', 'SMTP_PASSWORD', 'stored-smtp', null);
      expect(secrets.lookup('SMTP_PASSWORD')).toBe('stored-smtp');
      expect(secrets.lookup('HOOK_KEY')).toBe('from-the-environment');
      expect(secrets.lookup('NOPE')).toBeUndefined();

      const loaded = {
        file: 'gantry.yaml',
        dir: '.',
        config: {
          smtp: { password: `\${secret:SMTP_PASSWORD}` },
          notify: { x: [{ secret: `\${secret:HOOK_KEY}` }] },
        },
      } as unknown as LoadedConfig;
      expect(secretValues(loaded, {}, secrets).sort()).toEqual(['from-the-environment', 'stored-smtp']);
      const cache = secretValuesCache(() => loaded, secrets);
      const first = cache();
      expect(cache()).toBe(first);
      await secrets.set('staging', 'DATABASE_URL', VALUE, null);
      expect(cache()).not.toBe(first);
      expect(cache()).toContain(VALUE);
      // A replaced or removed value is still masked: instances started before may print it.
      await secrets.set('staging', 'DATABASE_URL', `${VALUE}-2`, null);
      await secrets.remove('*', 'SMTP_PASSWORD');
      expect(cache()).toEqual(expect.arrayContaining([VALUE, `${VALUE}-2`, 'stored-smtp']));
      expect(secrets.lookup('SMTP_PASSWORD')).toBe('env-smtp');
    } finally {
      await store.close();
    }
  });

  it('refuses bad names and values without quoting the value', async () => {
    const store = await openStore({ kind: 'sqlite', path: ':memory:' });
    try {
      const secrets = await open(store);
      expect((await rejection(secrets.set('staging', '1BAD', 'x-value', null))).message).toContain(
        'is not an environment variable name',
      );
      const nul = await rejection(secrets.set('staging', 'GOOD', 'abc\0secret-part', null));
      expect(nul.message).toContain('NUL');
      expect(nul.message).not.toContain('secret-part');
      expect((await rejection(secrets.set('staging', 'GOOD', '', null))).message).toContain('empty');
    } finally {
      await store.close();
    }
  });
});
