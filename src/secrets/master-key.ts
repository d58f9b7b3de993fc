// The master key that seals every secret: from GANTRY_MASTER_KEY (64 hex digits or base64 of 32
// bytes), else from <data-dir>/master.key, created at first start with mode 0600. A key file that
// others can read is refused. A key is known by its id (a hash prefix), stored with every sealed
// row, so a server started with another key can say which one it needs.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GantryError } from '../lib/errors.ts';

export const MASTER_KEY_ENV = 'GANTRY_MASTER_KEY';
export const KEY_FILE = 'master.key';
/** A rotation writes the new key here first and renames it over master.key once the database holds it. */
export const STAGED_KEY_FILE = 'master.key.next';
const KEY_BYTES = 32;
const GENERATE_HINT = 'Generate one with `openssl rand -base64 32`.';
// The start-up errors carry their remedy in the message itself: that is the line every caller shows.
const KEY_FORMAT =
  'write 32 bytes as 64 hex digits or as base64 (44 characters), e.g. `openssl rand -base64 32`';

export interface MasterKey {
  key: Buffer;
  id: string;
  source: 'env' | 'file';
  /** The key file in use, or (source env) the one that would be used without the variable. */
  file: string;
  /** The key file was made by this start. */
  created?: boolean;
}

export function masterKeyId(key: Buffer): string {
  return createHash('sha256').update('gantry master key id\0').update(key).digest('hex').slice(0, 16);
}

export function generateMasterKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function encodeMasterKey(key: Buffer): string {
  return key.toString('base64');
}

/** 64 hex digits, or base64 (standard or URL-safe) of exactly 32 bytes. Errors never quote the text. */
export function parseMasterKey(text: string, source: string): Buffer {
  const t = text.trim();
  if (t === '') {
    throw new GantryError('MASTER_KEY_INVALID', `${source} is empty: ${KEY_FORMAT}`, {
      hint: GENERATE_HINT,
    });
  }
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) {
    const key = Buffer.from(t, 'base64');
    if (key.length === KEY_BYTES) return key;
    throw new GantryError(
      'MASTER_KEY_INVALID',
      `${source} decodes (as base64) to ${key.length} bytes, and a master key has ${KEY_BYTES}: ${KEY_FORMAT}`,
      { hint: GENERATE_HINT },
    );
  }
  throw new GantryError(
    'MASTER_KEY_INVALID',
    `${source} is neither 64 hex digits nor base64 (it has ${t.length} characters, some outside both alphabets): ${KEY_FORMAT}`,
    { hint: GENERATE_HINT },
  );
}

export function keyFilePath(dataDir: string): string {
  return path.join(dataDir, KEY_FILE);
}

/**
 * The master key to use. `sealedWith` are the key ids of the rows already in the database: they
 * settle a rotation a crash left half done, and forbid making up a new key when secrets exist.
 */
export async function loadMasterKey(opts: {
  dataDir: string;
  env: Record<string, string | undefined>;
  sealedWith: ReadonlySet<string>;
}): Promise<MasterKey> {
  const file = keyFilePath(opts.dataDir);
  const fromEnv = opts.env[MASTER_KEY_ENV];
  if (fromEnv !== undefined) {
    const key = parseMasterKey(fromEnv, MASTER_KEY_ENV);
    return { key, id: masterKeyId(key), source: 'env', file };
  }
  await settleStagedKey(opts.dataDir, opts.sealedWith);
  const existing = await readKeyFile(file);
  if (existing) return { key: existing, id: masterKeyId(existing), source: 'file', file };
  if (opts.sealedWith.size > 0) {
    throw new GantryError(
      'MASTER_KEY_MISMATCH',
      `the database holds secrets encrypted with master key ${[...opts.sealedWith].join(', ')}, but there is no ${file} and ${MASTER_KEY_ENV} is not set: restore ${file} from your backup, or set ${MASTER_KEY_ENV} to that key`,
      { hint: 'A lost master key cannot be recovered: the secrets would have to be set again.' },
    );
  }
  const key = generateMasterKey();
  try {
    await writeFile(file, `${encodeMasterKey(key)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another server on the same data dir made it first: use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const theirs = await readKeyFile(file);
    if (theirs) return { key: theirs, id: masterKeyId(theirs), source: 'file', file };
    throw err;
  }
  return { key, id: masterKeyId(key), source: 'file', file, created: true };
}

/** Reads and checks a key file; undefined when it does not exist. */
export async function readKeyFile(file: string): Promise<Buffer | undefined> {
  let mode: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) {
      throw new GantryError(
        'MASTER_KEY_INVALID',
        `the master key file ${file} is not a regular file: move it away, or set ${MASTER_KEY_ENV}`,
      );
    }
    mode = st.mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if ((mode & 0o077) !== 0) {
    const who = [(mode & 0o070) !== 0 ? 'its group' : '', (mode & 0o007) !== 0 ? 'other users' : '']
      .filter(Boolean)
      .join(' and ');
    throw new GantryError(
      'MASTER_KEY_INVALID',
      `the master key file ${file} can be read by ${who} (mode ${mode.toString(8).padStart(4, '0')}), so Gantry will not use it: run \`chmod 600 ${file}\` and start again`,
      {
        hint: 'Check who may have copied the key while it was readable; rotate it if in doubt (gantry secrets rotate-key).',
      },
    );
  }
  return parseMasterKey(await readFile(file, 'utf8'), `the master key file ${file}`);
}

/** Writes a rotation's new key beside the current one (mode 0600), before the database changes. */
export async function stageKeyFile(dataDir: string, key: Buffer): Promise<void> {
  const staged = path.join(dataDir, STAGED_KEY_FILE);
  await rm(staged, { force: true });
  await writeFile(staged, `${encodeMasterKey(key)}\n`, { mode: 0o600, flag: 'wx' });
}

/** Makes the staged key the key file (after the database holds the values sealed with it). */
export async function commitStagedKey(dataDir: string): Promise<void> {
  await rename(path.join(dataDir, STAGED_KEY_FILE), keyFilePath(dataDir));
}

export async function discardStagedKey(dataDir: string): Promise<void> {
  await rm(path.join(dataDir, STAGED_KEY_FILE), { force: true });
}

/** A crash between the database commit and the rename leaves a staged key: keep it only if it is in use. */
async function settleStagedKey(dataDir: string, sealedWith: ReadonlySet<string>): Promise<void> {
  const staged = await readKeyFile(path.join(dataDir, STAGED_KEY_FILE)).catch(() => undefined);
  if (staged && sealedWith.has(masterKeyId(staged))) await commitStagedKey(dataDir);
  else await discardStagedKey(dataDir);
}
