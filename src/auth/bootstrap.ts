// The first admin token (README: CLI): when the store holds no usable admin token (a fresh data
// directory, or every admin token revoked or expired), the server creates one, writes it to
// `<data-dir>/admin-token` readable by its owner only, and hands it back to be printed once. The
// CLI on the same machine reads that file, so a local user needs no set-up step; someone locked
// out of the API regains it by restarting the server with access to the data directory.
import { chmod, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AuthService } from './service.ts';

export const ADMIN_TOKEN_FILE = 'admin-token';
export const BOOTSTRAP_TOKEN_NAME = 'bootstrap-admin';

export interface BootstrapToken {
  /** The token itself: print it once, never log it. */
  token: string;
  id: string;
  file: string;
}

export async function bootstrapAdminToken(
  auth: AuthService,
  dataDir: string,
): Promise<BootstrapToken | undefined> {
  if (await auth.hasUsableAdmin()) return undefined;
  const { token, secret } = await auth.createToken({
    name: BOOTSTRAP_TOKEN_NAME,
    role: 'admin',
    createdBy: 'server',
  });
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  await writePrivateFile(file, `${secret}\n`);
  return { token: secret, id: token.id, file };
}

/** Written whole under another name, then renamed: never a moment with a readable or partial file. */
async function writePrivateFile(file: string, content: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await rm(temp, { force: true });
  await writeFile(temp, content, { mode: 0o600, flag: 'wx' });
  // The mode given to open() is filtered by the umask; 0600 is never widened by it, but be exact.
  await chmod(temp, 0o600);
  await rename(temp, file);
}
