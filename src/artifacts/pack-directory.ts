// Packs a directory into a .tar.gz stream for upload (the CLI's side of an artifact import).
import { Readable } from 'node:stream';
import { create } from 'tar';
import { isSkippedPath } from './skip.ts';

/**
 * Streams a gzip-compressed tarball of `dir`: file modes kept, symlinks stored as links, no
 * owner names or ids, and without `.git` or `node_modules/.cache`.
 */
export function packDirectory(dir: string): Readable {
  const pack = create(
    {
      gzip: true,
      cwd: dir,
      portable: true,
      follow: false,
      filter: (path) => !isSkippedPath(path),
    },
    ['.'],
  );
  return Readable.from(pack, { objectMode: false });
}
