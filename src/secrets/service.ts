// The secrets store: values sealed with the master key in the database, opened once at start into
// memory (instances start and logs are masked without a round trip), changed one at a time so a key
// rotation never races a write. Servers sharing a PostgreSQL database tell each other of every change
// (store/change-feed.ts), and each reloads what changed.
import { GantryError } from '../lib/errors.ts';
import { type Logger, silentLogger } from '../lib/log.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { SecretRecord, Store } from '../store/types.ts';
import { openValue, type Sealed, type SecretAddress, SecretOpenError, sealValue } from './cipher.ts';
import {
  commitStagedKey,
  discardStagedKey,
  generateMasterKey,
  loadMasterKey,
  MASTER_KEY_ENV,
  type MasterKey,
  masterKeyId,
  readKeyFile,
  stageKeyFile,
} from './master-key.ts';
import { checkSecretName, checkSecretValue, GLOBAL_SCOPE } from './names.ts';
import type { KeyRotationResult, MasterKeyInfo, SecretMeta } from './types.ts';

interface Entry {
  /** undefined when the row does not decrypt. */
  value: string | undefined;
  updatedAt: string;
  updatedBy: string | null;
}

export interface OpenSecretsOptions {
  store: Pick<Store, 'secrets'>;
  service: string;
  dataDir: string;
  /** The database file, named in errors. */
  database: string;
  /** Where GANTRY_MASTER_KEY is read (process.env by default). */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Where changes are announced to other servers on the same database (PostgreSQL only). */
  changes?: ChangeFeed;
}

/** The channel of secret changes: the address of the secret that changed, or the new key's id. */
export const SECRETS_CHANNEL = 'gantry_secrets';
type SecretChange = { service: string; environment: string; name: string } | { rotatedTo: string };

const MAX_RETIRED = 1000;

/** Opens a value sealed under the previous master key and seals it under the new one. */
export type Resealer = (
  where: SecretAddress,
  sealed: Sealed & { keyId: string },
) => Sealed & { keyId: string };

export class SecretService {
  readonly #store: Pick<Store, 'secrets'>;
  readonly #service: string;
  readonly #dataDir: string;
  readonly #log: Logger;
  readonly #env: Record<string, string | undefined>;
  readonly #changes: ChangeFeed | undefined;
  #key: MasterKey;
  /** environment ('*' for global) → name → entry */
  readonly #entries = new Map<string, Map<string, Entry>>();
  #values: readonly string[] = [];
  /**
   * Values replaced or removed while this server runs: instances started before the change still
   * hold them and may print them, so they stay masked (newest kept, at most MAX_RETIRED).
   */
  readonly #retired = new Set<string>();
  #version = 0;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #rotationHooks: Array<(reseal: Resealer) => Promise<number>> = [];

  private constructor(opts: OpenSecretsOptions, key: MasterKey) {
    this.#store = opts.store;
    this.#service = opts.service;
    this.#dataDir = opts.dataDir;
    this.#log = opts.logger ?? silentLogger;
    this.#env = opts.env ?? process.env;
    this.#changes = opts.changes;
    this.#key = key;
  }

  /** Loads the master key and opens every secret; refuses a key other than the one that sealed them. */
  static async open(opts: OpenSecretsOptions): Promise<SecretService> {
    const rows = await opts.store.secrets.list();
    const sealedWith = new Set(rows.map((r) => r.keyId));
    const key = await loadMasterKey({ dataDir: opts.dataDir, env: opts.env ?? process.env, sealedWith });
    const others = [...sealedWith].filter((id) => id !== key.id);
    if (others.length > 0) throw await mismatchError(opts.database, others, key);
    const secrets = new SecretService(opts, key);
    secrets.#load(rows.filter((r) => r.service === opts.service));
    await opts.changes?.subscribe(SECRETS_CHANNEL, {
      onChange: (payload) => secrets.#heard(payload),
      onResync: () => secrets.#heard(undefined),
    });
    const log = secrets.#log;
    if (key.created) {
      log.warn(
        { file: key.file, keyId: key.id },
        'created a new master key file: back it up, the secrets cannot be read without it',
      );
    }
    log.info({ keyId: key.id, keySource: key.source, secrets: rows.length }, 'secrets store open');
    return secrets;
  }

  get key(): MasterKeyInfo {
    return { id: this.#key.id, source: this.#key.source, file: this.#key.file };
  }

  /** Changes with every set, removal or rotation, so callers can cache what they derive. */
  get version(): number {
    return this.#version;
  }

  /** Names and dates of an environment's secrets ('*' for the global ones), by name. */
  list(environment: string): SecretMeta[] {
    return [...(this.#entries.get(environment)?.entries() ?? [])]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, e]) => ({
        name,
        environment: environment === GLOBAL_SCOPE ? null : environment,
        updatedAt: e.updatedAt,
        updatedBy: e.updatedBy,
        ...(e.value === undefined ? { unreadable: true as const } : {}),
      }));
  }

  has(environment: string, name: string): boolean {
    return this.#entries.get(environment)?.get(name)?.value !== undefined;
  }

  /** Every readable secret of an environment, by name (for instance environments). */
  valuesFor(environment: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, e] of this.#entries.get(environment) ?? [])
      if (e.value !== undefined) out[name] = e.value;
    return out;
  }

  /**
   * The value of a `${secret:NAME}` reference in gantry.yaml: the global secret NAME, else the
   * server's environment variable NAME (how references were resolved before the store existed).
   */
  lookup(name: string): string | undefined {
    const stored = this.#entries.get(GLOBAL_SCOPE)?.get(name)?.value;
    if (stored !== undefined) return stored;
    const fromEnv = this.#env[name];
    return fromEnv === '' ? undefined : fromEnv;
  }

  /** Every value to mask: stored ones and those replaced since start; the same array until a change. */
  allValues(): readonly string[] {
    return this.#values;
  }

  async set(
    environment: string,
    name: string,
    value: string,
    by: string | null,
  ): Promise<{ secret: SecretMeta; created: boolean }> {
    checkSecretName(name);
    checkSecretValue(value);
    return this.#serial(async () => {
      const where = this.#address(environment, name);
      const sealed = sealValue(this.#key.key, where, value);
      const { secret, created } = await this.#store.secrets.put({
        ...where,
        ...sealed,
        keyId: this.#key.id,
        updatedBy: by,
      });
      this.#put(environment, name, { value, updatedAt: secret.updatedAt, updatedBy: by });
      this.#log.info({ environment: environment, secret: name, by, created }, 'secret set');
      await this.#announce({ ...where });
      return { secret: this.list(environment).find((s) => s.name === name) as SecretMeta, created };
    });
  }

  /** false when there was no such secret. */
  async remove(environment: string, name: string): Promise<boolean> {
    checkSecretName(name);
    return this.#serial(async () => {
      const removed = await this.#store.secrets.remove(this.#service, environment, name);
      this.#retire(this.#entries.get(environment)?.get(name)?.value);
      this.#entries.get(environment)?.delete(name);
      this.#changed();
      if (removed) this.#log.info({ environment, secret: name }, 'secret removed');
      if (removed) await this.#announce(this.#address(environment, name));
      return removed;
    });
  }

  /**
   * Seals a private value of another module (an ACME key) under the master key, bound to `where`
   * as secrets are to their row: the sealed value opens only with the same address.
   */
  seal(where: SecretAddress, value: string): Sealed & { keyId: string } {
    return { ...sealValue(this.#key.key, where, value), keyId: this.#key.id };
  }

  /** Opens what seal() sealed; throws SecretOpenError for another key or address, or an altered value. */
  open(where: SecretAddress, sealed: Sealed & { keyId: string }): string {
    if (sealed.keyId !== this.#key.id) throw new SecretOpenError(where);
    return openValue(this.#key.key, where, sealed);
  }

  /**
   * Registers values another module sealed with seal() (ACME keys): after every rotation, `fn`
   * gets a function that re-seals one of them under the new key, and returns how many it re-sealed.
   */
  onKeyRotated(fn: (reseal: Resealer) => Promise<number>): void {
    this.#rotationHooks.push(fn);
  }

  /**
   * Seals every secret (of every service in the database) under a new master key in one
   * transaction. With a key file, the new key is written beside it first and renamed over it
   * once the database holds the new values; a key from GANTRY_MASTER_KEY must be given.
   */
  async rotateKey(newKey?: Buffer): Promise<KeyRotationResult> {
    return this.#serial(async () => {
      const current = this.#key;
      if (current.source === 'env' && newKey === undefined) {
        throw new GantryError(
          'MASTER_KEY_FROM_ENV',
          `the master key comes from ${MASTER_KEY_ENV}, which Gantry cannot change: give the new key with the request`,
        );
      }
      const key = newKey ?? generateMasterKey();
      const id = masterKeyId(key);
      if (id === current.id) {
        throw new GantryError('BAD_REQUEST', `the new master key is the current one (key id ${id})`, {
          hint: 'Generate a new key with `openssl rand -base64 32`.',
        });
      }
      const rows = await this.#store.secrets.list();
      const resealed = rows.map((r) => {
        const where = { service: r.service, environment: r.environment, name: r.name };
        let value: string;
        try {
          value = openValue(current.key, where, r);
        } catch (err) {
          if (!(err instanceof SecretOpenError)) throw err;
          throw new GantryError('MASTER_KEY_MISMATCH', `${err.message}, so it cannot be re-encrypted`, {
            hint: `Remove it (gantry secrets rm ${r.environment === GLOBAL_SCOPE ? '--global' : r.environment} ${r.name}) and set it again, then rotate.`,
          });
        }
        return { ...where, ...sealValue(key, where, value), keyId: id };
      });
      if (current.source === 'file') await stageKeyFile(this.#dataDir, key);
      try {
        await this.#store.secrets.rekey(current.id, resealed);
      } catch (err) {
        if (current.source === 'file') await discardStagedKey(this.#dataDir);
        throw err;
      }
      if (current.source === 'file') await commitStagedKey(this.#dataDir);
      this.#key = { key, id, source: current.source, file: current.file };
      this.#changed();
      const others = await this.#resealOthers(current, { key, id });
      await this.#announce({ rotatedTo: id });
      this.#log.info(
        { previousKeyId: current.id, keyId: id, reencrypted: rows.length, others },
        'master key rotated',
      );
      return {
        previousKeyId: current.id,
        keyId: id,
        source: current.source,
        reencrypted: rows.length,
        note:
          current.source === 'file'
            ? `${current.file} now holds the new key: back it up; the old key no longer opens the secrets`
            : `set ${MASTER_KEY_ENV} to the new key (id ${id}) before the server restarts: the old key no longer opens the secrets`,
      };
    });
  }

  /** Runs the rotation hooks; a failure is logged (those values are made anew where they are used). */
  async #resealOthers(from: MasterKey, to: { key: Buffer; id: string }): Promise<number> {
    const reseal: Resealer = (where, sealed) => ({
      ...sealValue(to.key, where, openValue(from.key, where, sealed)),
      keyId: to.id,
    });
    let count = 0;
    for (const hook of this.#rotationHooks) {
      try {
        count += await hook(reseal);
      } catch (err) {
        this.#log.error(
          { err: (err as Error).message },
          'could not re-encrypt values sealed by another module under the new master key; they will not open after a restart',
        );
      }
    }
    return count;
  }

  /**
   * Takes the master key now in force from `rotated`, which re-sealed every row of the store (on a
   * server with several services, each with its own SecretService over one key).
   */
  followKey(rotated: SecretService): Promise<void> {
    return this.#serial(async () => {
      this.#key = rotated.#key;
    });
  }

  /** Tells the other servers; a change already made here is not undone when that fails. */
  async #announce(change: SecretChange): Promise<void> {
    await this.#changes?.publish(SECRETS_CHANNEL, JSON.stringify(change)).catch((err: unknown) => {
      this.#log.error(
        { err },
        'could not tell the other servers of a secret change: they keep the old value',
      );
    });
  }

  /** Another server changed a secret (or the key), or may have while unheard (undefined): reload it. */
  #heard(payload: string | undefined): void {
    let change: SecretChange | undefined;
    try {
      change = payload === undefined ? undefined : (JSON.parse(payload) as SecretChange);
    } catch {
      this.#log.warn('ignored a secret change announcement that is not JSON');
      return;
    }
    if (change && 'service' in change && change.service !== this.#service) return;
    this.#serial(async () => {
      if (change && 'name' in change) await this.#reloadOne(change.environment, change.name);
      else await this.#reloadAll(change?.rotatedTo);
    }).catch((err: unknown) => {
      this.#log.error({ err }, 'could not reload the secrets another server changed');
    });
  }

  async #reloadOne(environment: string, name: string): Promise<void> {
    const row = await this.#store.secrets.get(this.#service, environment, name);
    if (row) {
      this.#load([row]);
    } else {
      this.#retire(this.#entries.get(environment)?.get(name)?.value);
      this.#entries.get(environment)?.delete(name);
      this.#changed();
    }
    this.#log.info({ environment, secret: name }, 'secret changed by another server: reloaded');
  }

  /** Every secret again; after a rotation elsewhere, with the new key (the values themselves did not change). */
  async #reloadAll(rotatedTo: string | undefined): Promise<void> {
    const rows = await this.#store.secrets.list();
    const sealedWith = new Set(rows.map((r) => r.keyId));
    if (rotatedTo !== undefined || !sealedWith.has(this.#key.id)) {
      const key = await loadMasterKey({ dataDir: this.#dataDir, env: this.#env, sealedWith });
      if (rows.length > 0 && !sealedWith.has(key.id)) {
        this.#log.error(
          { keyId: key.id, sealedWith: [...sealedWith] },
          `another server rotated the master key: give this one the new key (${MASTER_KEY_ENV} or its key file) and restart it; until then it keeps the values it had`,
        );
        return;
      }
      this.#key = key;
    }
    const before = [...this.#entries.values()].flatMap((names) => [...names.values()]);
    this.#entries.clear();
    this.#load(rows.filter((r) => r.service === this.#service));
    const now = new Set(this.allValues());
    for (const e of before) if (e.value !== undefined && !now.has(e.value)) this.#retire(e.value);
    this.#changed();
    this.#log.info({ secrets: rows.length }, 'secrets reloaded after changes by another server');
  }

  #load(rows: SecretRecord[]): void {
    for (const r of rows) {
      const where = { service: r.service, environment: r.environment, name: r.name };
      let value: string | undefined;
      try {
        value = openValue(this.#key.key, where, r);
      } catch (err) {
        if (!(err instanceof SecretOpenError)) throw err;
        this.#log.error(
          { environment: r.environment, secret: r.name },
          `${err.message}; it counts as not set until it is set again`,
        );
      }
      this.#put(r.environment, r.name, { value, updatedAt: r.updatedAt, updatedBy: r.updatedBy }, false);
    }
    this.#changed();
  }

  #put(environment: string, name: string, entry: Entry, announce = true): void {
    let names = this.#entries.get(environment);
    if (!names) {
      names = new Map();
      this.#entries.set(environment, names);
    }
    this.#retire(names.get(name)?.value);
    names.set(name, entry);
    if (announce) this.#changed();
  }

  #retire(value: string | undefined): void {
    if (value === undefined) return;
    this.#retired.delete(value);
    this.#retired.add(value);
    if (this.#retired.size > MAX_RETIRED) this.#retired.delete(this.#retired.values().next().value as string);
  }

  #changed(): void {
    const values = new Set<string>(this.#retired);
    for (const names of this.#entries.values()) {
      for (const e of names.values()) if (e.value !== undefined) values.add(e.value);
    }
    this.#values = Object.freeze([...values].sort((a, b) => b.length - a.length));
    this.#version++;
  }

  #address(environment: string, name: string): SecretAddress {
    return { service: this.#service, environment, name };
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => {});
    return run;
  }
}

async function mismatchError(database: string, sealedWith: string[], key: MasterKey): Promise<GantryError> {
  const expected = sealedWith.join(', ');
  const source = key.source === 'env' ? `from ${MASTER_KEY_ENV}` : `in ${key.file}`;
  let remedy = `set ${MASTER_KEY_ENV} to the key with id ${expected} (the one they were set or last rotated with)`;
  if (key.source === 'file') remedy += `, or put that key back in ${key.file}`;
  if (key.source === 'env') {
    const fileKey = await readKeyFile(key.file).catch(() => undefined);
    if (fileKey && sealedWith.includes(masterKeyId(fileKey))) {
      remedy = `unset ${MASTER_KEY_ENV}: ${key.file} holds the key with id ${masterKeyId(fileKey)}`;
    }
  }
  return new GantryError(
    'MASTER_KEY_MISMATCH',
    `the secrets in ${database} were encrypted with a different master key (key id ${expected}), not the key ${source} (key id ${key.id}): ${remedy}`,
    { hint: 'A lost master key cannot be recovered: the secrets would have to be set again.' },
  );
}
