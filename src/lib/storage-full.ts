// A full disk (or an exhausted quota) makes every write fail. Whatever layer meets it (the store,
// the artifact unpacker, the logs), the API says so plainly with one error, 507 STORAGE_FULL,
// instead of a misleading BAD_ARTIFACT or a 500.
import { GantryError } from './errors.ts';

const SQLITE_FULL = 13;
/** Messages that carry the condition when the error object itself has lost its code. */
const FULL_MESSAGE =
  /\b(ENOSPC|EDQUOT)\b|no space left on device|disk quota exceeded|database or disk is full/i;
const MAX_CAUSES = 5;

/** Which of ENOSPC / EDQUOT the error (or one of its causes) is, if it is one of them. */
export function storageFullCode(err: unknown): 'ENOSPC' | 'EDQUOT' | undefined {
  let e: unknown = err;
  for (let i = 0; i < MAX_CAUSES && e !== null && typeof e === 'object'; i++) {
    const o = e as { code?: unknown; errcode?: unknown; message?: unknown; cause?: unknown };
    if (o.code === 'ENOSPC' || o.code === 'EDQUOT') return o.code;
    if (o.errcode === SQLITE_FULL) return 'ENOSPC';
    const m = typeof o.message === 'string' ? FULL_MESSAGE.exec(o.message) : null;
    if (m) return /EDQUOT|quota/i.test(m[0]) ? 'EDQUOT' : 'ENOSPC';
    e = o.cause;
  }
  return undefined;
}

/** The 507 to answer for a full disk, or undefined when `err` is something else. */
export function storageFullError(err: unknown): GantryError | undefined {
  const code = storageFullCode(err);
  if (!code) return undefined;
  const what = code === 'EDQUOT' ? 'disk quota exceeded' : 'no space left on device';
  return new GantryError(
    'STORAGE_FULL',
    `the server's disk is full (${code}: ${what}): the change was not stored`,
    { details: { errno: code } },
  );
}
