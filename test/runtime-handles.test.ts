// Pure pieces of the process runtime's contract: how an argv becomes one shell line, how a stored
// handle is read back (never another driver's, never a half one), and how a handle is shown.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { describeHandle } from '../src/runtime/index.ts';
import { processHandle, readProcessHandle } from '../src/runtime/local/process-handle.ts';
import { shellLine } from '../src/runtime/local/shell-line.ts';

describe('shellLine', () => {
  it('keeps a string as written and quotes each argument of an argv', () => {
    expect(shellLine('node server.js $PORT')).toBe('node server.js $PORT');
    expect(shellLine(['gunicorn', '-k', 'uvicorn.workers.UvicornWorker', 'main:app'])).toBe(
      'gunicorn -k uvicorn.workers.UvicornWorker main:app',
    );
    const argv = ['printf', '%s|', "it's", 'a b', '$HOME', '`x`'];
    const out = execFileSync('/bin/sh', ['-c', shellLine(argv)], { encoding: 'utf8' });
    expect(out).toBe("it's|a b|$HOME|`x`|");
  });
});

describe('process handles', () => {
  it('reads back what it wrote, through JSON', () => {
    const stored = JSON.parse(JSON.stringify(processHandle(4242, '987654')));
    expect(readProcessHandle(stored)).toEqual({ pid: 4242, startTime: '987654' });
  });

  it.each([
    ['another driver', { driver: 'docker', containerId: 'abc', pid: 1, startTime: '1' }],
    ['no start time', { driver: 'process', pid: 4242, startTime: null }],
    ['a pid that is no pid', { driver: 'process', pid: -1, startTime: '5' }],
    ['a start time that is no number', { driver: 'process', pid: 4242, startTime: '12a' }],
  ] as const)('refuses %s', (_name, handle) => {
    expect(readProcessHandle(handle)).toBeUndefined();
  });

  it('shows a handle for people', () => {
    expect(describeHandle(processHandle(4242, '1'))).toBe('pid 4242');
    expect(describeHandle({ driver: 'docker', containerId: '3f9a2c4b5d6e7f8091a2' })).toBe(
      'docker 3f9a2c4b5d6e',
    );
    expect(describeHandle(null)).toBeNull();
  });
});
