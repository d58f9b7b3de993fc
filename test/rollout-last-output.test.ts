// What a failure quotes of an instance's output: the error's first line, then the tail.
import { describe, expect, it } from 'vitest';
import { LAST_OUTPUT_LINE_CHARS, lastOutput } from '../src/rollout/last-output.ts';

const lines = (text: string) => text.split('\n').map((line) => ({ line }));

const NODE = `node:fs:621
  return binding.open(
                 ^

Error: ENOTDIR: not a directory, open '/srv/app/server.js/storage/config.yaml'
    at Object.openSync (node:fs:621:18)
    at readFileSync (node:fs:487:35)
    at Object.<anonymous> (/srv/app/server.js:1:17)
    at Module._compile (node:internal/modules/cjs/loader:1929:14)
    at node:internal/main/run_main_module:33:47 {
  errno: -20,
  code: 'ENOTDIR',
  syscall: 'open',
  path: '/srv/app/server.js/storage/config.yaml'
}

Node.js v24.21.0`;

describe('lastOutput', () => {
  it.each([
    [
      "Node's uncaught error: its first line, then the tail without blank lines",
      NODE,
      [
        "Error: ENOTDIR: not a directory, open '/srv/app/server.js/storage/config.yaml'",
        '…',
        "  code: 'ENOTDIR',",
        "  syscall: 'open',",
        "  path: '/srv/app/server.js/storage/config.yaml'",
        '}',
        'Node.js v24.21.0',
      ],
    ],
    [
      "Python's traceback already ends with its error: the tail alone",
      'Traceback (most recent call last):\n  File "app.py", line 3, in <module>\n    open("x")\nFileNotFoundError: [Errno 2] No such file or directory: \'x\'',
      [
        'Traceback (most recent call last):',
        '  File "app.py", line 3, in <module>',
        '    open("x")',
        "FileNotFoundError: [Errno 2] No such file or directory: 'x'",
      ],
    ],
    ['no error line: just the tail', 'listening\nshutting down\nbye', ['listening', 'shutting down', 'bye']],
    ['no output', '', []],
  ])('%s', (_name, text, want) => {
    expect(lastOutput(lines(text))).toEqual(want);
  });

  it("quotes Go's panic above a long stack", () => {
    const stack = 'main.f()\n\t/src/main.go:7 +0x1d\n'.repeat(4);
    const got = lastOutput(
      lines(
        `panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\n${stack}exit status 2`,
      ),
    );
    expect(got.slice(0, 2)).toEqual(['panic: runtime error: index out of range [3] with length 3', '…']);
    expect(got.at(-1)).toBe('exit status 2');
    expect(got).toHaveLength(7);
  });

  it('cuts long lines', () => {
    const [only] = lastOutput([{ line: 'x'.repeat(1000) }]);
    expect(only).toHaveLength(LAST_OUTPUT_LINE_CHARS);
    expect(only?.endsWith('…')).toBe(true);
  });

  it('quotes the headline right above the tail without a gap marker', () => {
    expect(lastOutput(lines('TypeError [ERR_INVALID_ARG_TYPE]: bad\na\nb\nc\nd\ne'))).toEqual([
      'TypeError [ERR_INVALID_ARG_TYPE]: bad',
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
  });
});
