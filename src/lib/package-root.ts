// The root of the running Gantry package (the directory of its package.json): a checkout's, an
// installed package's or the container image's. Found upward from this module, so it is the same
// whether the module runs from src/ (type stripping) or from the bundle in dist/.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRootAbove(file: string): string {
  for (let dir = path.dirname(file); ; ) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json in any directory above ${file}`);
    dir = parent;
  }
}

export const PACKAGE_ROOT: string = packageRootAbove(fileURLToPath(import.meta.url));
