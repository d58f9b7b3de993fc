// Reading a secret for `gantry secrets set`: from a prompt that echoes nothing when a person is at a
// terminal, else (or with --from-stdin) everything on stdin, one trailing newline dropped, as
// `echo "$VALUE" | gantry secrets set …` adds one.
import { UsageError } from '../errors.ts';
import type { OutputStream } from '../io.ts';

export interface SecretInputOptions {
  fromStdin: boolean;
  prompt: string;
  /** Where the prompt goes (never stdout, which --json output owns). */
  stderr: OutputStream;
  stdin?: NodeJS.ReadStream;
}

const MAX_INPUT_BYTES = 1024 * 1024;

export async function readSecretInput(opts: SecretInputOptions): Promise<string> {
  const stdin = opts.stdin ?? process.stdin;
  const value = !opts.fromStdin && stdin.isTTY ? await promptHidden(stdin, opts) : await readAll(stdin);
  if (value === '') {
    throw new UsageError(
      'the value is empty',
      opts.fromStdin || !stdin.isTTY
        ? 'Pipe the value into the command, e.g. `printf %s "$VALUE" | gantry secrets set …`.'
        : undefined,
    );
  }
  return value;
}

async function readAll(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_INPUT_BYTES)
      throw new UsageError('stdin holds more than 1 MiB: that is not a secret value');
    chunks.push(b);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** A line typed at the terminal in raw mode, shown as nothing; Ctrl-C cancels, backspace erases. */
function promptHidden(stdin: NodeJS.ReadStream, opts: SecretInputOptions): Promise<string> {
  // Raw mode before the prompt: what is typed as soon as the prompt shows must not echo.
  stdin.setRawMode(true);
  opts.stderr.write(opts.prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      opts.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer | string) => {
      const chars = [...chunk.toString('utf8')];
      for (const [i, ch] of chars.entries()) {
        if (ch === '\r' || ch === '\n') {
          // More after the end of the line in the same read: a pasted multi-line value, which a
          // prompt would cut to its first line.
          if (
            chars
              .slice(i + 1)
              .join('')
              .replace(/^\r?\n/, '') !== ''
          ) {
            return finish(
              new UsageError(
                'the pasted value has several lines, and a prompt reads one: nothing was set',
                'Read it from a file instead: `gantry secrets set … --from-stdin < key.pem`.',
              ),
            );
          }
          return finish();
        }
        if (ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new UsageError('cancelled: nothing was set'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.resume();
    stdin.on('data', onData);
  });
}
