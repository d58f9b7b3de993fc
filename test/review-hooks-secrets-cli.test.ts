// `gantry secrets set` at a real terminal (a pseudo-terminal driven by Python's pty): a multi-line
// value pasted at the prompt is refused, not cut to its first line and set.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, repoRoot, tempDir } from './helpers/gantry.ts';

// Runs a command on a pseudo-terminal, pastes GANTRY_PASTE in one write once the prompt shows, and
// reports what the terminal displayed and the exit code.
const PTY_DRIVER = `import json, os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out, pasted, deadline = b'', False, time.time() + 30
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.2)
    if ready:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if not pasted and b'value of' in out:
        os.write(fd, os.environ['GANTRY_PASTE'].encode())
        pasted = True
_, status = os.waitpid(pid, 0)
print(json.dumps({'out': out.decode(errors='replace'), 'code': os.waitstatus_to_exitcode(status)}))
`;

describe('gantry secrets set at a terminal', () => {
  it('refuses a pasted multi-line value instead of setting its first line', async () => {
    const { dir, cleanup } = await tempDir('gantry-review-secrets-cli-');
    try {
      const driver = path.join(dir, 'drive_pty.py');
      await writeFile(driver, PTY_DRIVER);
      const lines = [randomBytes(24).toString('base64'), randomBytes(24).toString('base64')];
      const paste = `-----BEGIN PRIVATE KEY-----\r${lines.join('\r')}\r-----END PRIVATE KEY-----\r`;
      const url = `http://127.0.0.1:${await freePort()}`;
      const result = await new Promise<{ out: string; code: number }>((resolve, reject) => {
        const child = spawn(
          'python3',
          [
            driver,
            process.execPath,
            path.join(repoRoot, 'bin/gantry.js'),
            'secrets',
            'set',
            'staging',
            'TLS_KEY',
          ],
          {
            // Nothing listens there: the CLI must stop before it calls a server.
            env: { ...process.env, GANTRY_PASTE: paste, GANTRY_URL: url, GANTRY_TOKEN: 'gantry_unused' },
            stdio: ['ignore', 'pipe', 'inherit'],
          },
        );
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c));
        child.once('error', reject);
        child.once('exit', () => {
          try {
            resolve(JSON.parse(out) as { out: string; code: number });
          } catch {
            reject(new Error(`the terminal driver printed: ${out}`));
          }
        });
      });
      expect(result.out).toContain('several lines');
      expect(result.out).toContain('nothing was set');
      expect(result.code).toBe(2);
      for (const l of lines) expect(result.out).not.toContain(l);
    } finally {
      await cleanup();
    }
  });
});
