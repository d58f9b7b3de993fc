// The real `gantry` CLI at a real terminal: a pseudo-terminal driven by Python's pty module, so
// that prompts which refuse to echo, or refuse a paste, meet a TTY as they would with a person.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './gantry.ts';

// Runs a command on a pseudo-terminal, writes GANTRY_TYPED in one write once the prompt shows, and
// prints as JSON what the terminal displayed and the exit code.
const DRIVER = `import json, os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out, typed, deadline = b'', False, time.time() + 30
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
    if not typed and os.environ['GANTRY_PROMPT'].encode() in out:
        os.write(fd, os.environ['GANTRY_TYPED'].encode())
        typed = True
_, status = os.waitpid(pid, 0)
print(json.dumps({'out': out.decode(errors='replace'), 'code': os.waitstatus_to_exitcode(status)}))
`;

/**
 * Runs `gantry args…` at a terminal; once it has shown `prompt`, types `typed` (end it with `\r`
 * to press Enter). `dir` receives the driver script (not named tty.py: it would shadow the module).
 */
export async function runGantryAtTerminal(
  args: string[],
  opts: { dir: string; typed: string; prompt?: string; env?: Record<string, string> },
): Promise<{ out: string; code: number }> {
  const driver = path.join(opts.dir, 'on_terminal.py');
  await writeFile(driver, DRIVER);
  return new Promise((resolve, reject) => {
    const child = spawn(
      'python3',
      [driver, process.execPath, path.join(repoRoot, 'bin/gantry.js'), ...args],
      {
        env: {
          ...process.env,
          ...opts.env,
          GANTRY_TYPED: opts.typed,
          GANTRY_PROMPT: opts.prompt ?? 'value of',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(out) as { out: string; code: number });
      } catch {
        reject(new Error(`the terminal driver exited with ${code}: ${out}`));
      }
    });
  });
}
