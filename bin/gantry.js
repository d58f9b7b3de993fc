#!/usr/bin/env node
// Entry point of the `gantry` command; needs Node.js >= 24. An installed package (under
// node_modules, where Node refuses to strip types) and the container image run the JavaScript
// that `npm run build` emits into dist/. A checkout runs src/main.ts through type stripping, even
// when a dist/ from an earlier build lies around, which could be stale. When started by an older
// system Node, a checkout re-runs itself with the Node 24 it pins as a devDependency, and an
// installed package with the `node` package of the project that installed it, if it has one.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const built = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const installed = self.split(path.sep).includes('node_modules');
const entry = existsSync(built) && (installed || !existsSync(source)) ? built : source;

const major = Number(process.versions.node.split('.')[0]);
if (major >= 24) {
  await import(entry === built ? '../dist/main.js' : '../src/main.ts');
} else {
  const pinned = [
    new URL('../node_modules/node/bin/node', import.meta.url), // a checkout's devDependency
    ...(installed ? [new URL('../../node/bin/node', import.meta.url)] : []), // the project's, beside gantry
  ]
    .map((url) => fileURLToPath(url))
    .find((file) => existsSync(file));
  if (!pinned) {
    process.stderr.write(
      `gantry needs Node.js >= 24 (this is ${process.version}). Install Node 24, or add it to the project that installed gantry (\`npm install --save-dev node@24\`; npx and npm scripts then run on it). In a Gantry checkout, \`npm install\` brings the pinned Node.\n`,
    );
    process.exit(2);
  }
  const child = spawn(pinned, [self, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
