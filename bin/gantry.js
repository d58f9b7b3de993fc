#!/usr/bin/env node
// Entry point of the `gantry` command. Gantry is TypeScript run by Node's type stripping, which
// needs Node.js >= 24. When started by an older system Node, re-run with the Node 24 that the
// package pins as a dependency (node_modules/node), or say what to do.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major >= 24) {
  await import('../src/main.ts');
} else {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write(
      `gantry needs Node.js >= 24 (this is ${process.version}). Run \`npm ci\` in the Gantry checkout to get the pinned Node, or install Node 24.\n`,
    );
    process.exit(2);
  }
  const child = spawn(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
