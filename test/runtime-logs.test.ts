// Output capture and the small parts under it: line splitting, /proc parsing, backoff, truncation.
import { spawn } from 'node:child_process';
import { appendFile, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProcessDriver } from '../src/runtime/index.ts';
import { Backoff } from '../src/runtime/local/backoff.ts';
import { LineSplitter, MAX_LINE_BYTES } from '../src/runtime/local/line-splitter.ts';
import { LogTail, MAX_LOG_FILE_BYTES } from '../src/runtime/local/log-tail.ts';
import { parseProcStat, readProcStat, readStartTime } from '../src/runtime/local/proc-stat.ts';
import { RingBuffer } from '../src/runtime/local/ring-buffer.ts';
import {
  EventRecorder,
  httpGet,
  makeSpec,
  makeTempDir,
  waitFor,
  waitForHttp,
} from './fixtures/services/rt-harness.ts';

describe('LineSplitter', () => {
  const cases: { name: string; chunks: string[]; lines: string[]; rest?: string }[] = [
    { name: 'complete lines', chunks: ['a\nb\n'], lines: ['a', 'b'] },
    { name: 'a line split over chunks', chunks: ['par', 'ti', 'al\nnext'], lines: ['partial'], rest: 'next' },
    { name: 'CRLF endings', chunks: ['dos\r\n', 'unix\n'], lines: ['dos', 'unix'] },
    { name: 'empty lines', chunks: ['\n\nx\n'], lines: ['', '', 'x'] },
    { name: 'a multi-byte character split over chunks', chunks: ['caf\xc3', '\xa9\n'], lines: ['café'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = new LineSplitter();
      const lines = c.chunks.flatMap((chunk) => s.push(Buffer.from(chunk, 'latin1')));
      expect(lines).toEqual(c.lines);
      expect(s.flush()).toBe(c.rest);
    });
  }

  it('cuts a very long line at MAX_LINE_BYTES (the logs cut at 16 KiB once masked) and drops the rest of it', () => {
    const s = new LineSplitter();
    const long = 'y'.repeat(MAX_LINE_BYTES * 2);
    const lines = [
      ...s.push(Buffer.from(long.slice(0, 10_000))),
      ...s.push(Buffer.from(long.slice(10_000))),
      ...s.push(Buffer.from('zz\nafter\n')),
    ];
    expect(lines).toEqual(['y'.repeat(MAX_LINE_BYTES), 'after']);
  });
});

describe('/proc stat', () => {
  it('parses names with spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    fields[2] = '4242';
    fields[19] = '987654';
    const parsed = parseProcStat(`4242 (a) b (c) d) ${fields.join(' ')}\n`);
    expect(parsed).toEqual({ pid: 4242, comm: 'a) b (c) d', state: 'S', pgrp: 4242, startTime: '987654' });
    expect(parseProcStat('garbage')).toBeUndefined();
  });

  it('reads the start time of a live process whose name has spaces and parentheses', async () => {
    const dir = await makeTempDir('proc');
    try {
      const odd = join(dir.path, 'rt (x) y');
      await symlink('/bin/sleep', odd);
      const child = spawn(odd, ['30'], { stdio: 'ignore' });
      const exited = new Promise((r) => child.once('exit', r));
      try {
        const pid = child.pid as number;
        const procStat = readProcStat(pid);
        expect(procStat?.comm).toBe('rt (x) y');
        expect(procStat?.startTime).toMatch(/^\d+$/);
        expect(readStartTime(pid)).toBe(procStat?.startTime);
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
      expect(readStartTime(child.pid as number)).toBeNull();
    } finally {
      await dir.remove();
    }
  });
});

describe('Backoff and RingBuffer', () => {
  it('doubles up to the maximum and starts over after a long enough run', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 500, resetAfterMs: 1_000 });
    expect([0, 0, 0, 0, 0].map(() => b.nextDelay(10))).toEqual([100, 200, 400, 500, 500]);
    expect(b.nextDelay(1_000)).toBe(100);
    expect(b.nextDelay(10)).toBe(200);
    expect(() => new Backoff({ initialMs: 0, maxMs: 1, resetAfterMs: 1 })).toThrow(/invalid restart backoff/);
  });

  it('keeps the newest entries, oldest first', () => {
    const r = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.last()).toEqual([3, 4, 5]);
    expect(r.last(2)).toEqual([4, 5]);
    expect(r.last(0)).toEqual([]);
  });
});

describe('output files', () => {
  let dataDir: { path: string; remove: () => Promise<void> };
  let workDir: { path: string; remove: () => Promise<void> };

  beforeEach(async () => {
    dataDir = await makeTempDir('data');
    workDir = await makeTempDir('work');
  });

  afterEach(async () => {
    await dataDir.remove();
    await workDir.remove();
  });

  it('truncates a log file past 8 MiB and keeps capturing', async () => {
    const driver = createProcessDriver({ dataDir: dataDir.path, logBufferLines: 10 });
    const events = new EventRecorder(driver);
    try {
      const info = await driver.start(makeSpec(workDir.path));
      await waitForHttp(info.port);
      const file = join(dataDir.path, 'instances', info.id, 'stdout.log');
      const lines = Math.ceil((MAX_LOG_FILE_BYTES * 1.25) / 1_024);
      await httpGet(info.port, `/flood?lines=${lines}&width=1000`);
      await events.waitForLine(info.id, new RegExp(`^flood ${lines - 1} x+$`));
      await waitFor('the file to be truncated', async () => (await stat(file)).size < MAX_LOG_FILE_BYTES);

      await httpGet(info.port, '/write?text=after-truncation');
      await events.waitForLine(info.id, 'after-truncation');
      expect(events.lines(info.id).filter((l) => l.startsWith('flood '))).toHaveLength(lines);
      expect((await stat(file)).size).toBeLessThan(MAX_LOG_FILE_BYTES);
      expect(driver.recentLogs(info.id)).toHaveLength(10);
      expect(driver.recentLogs(info.id).at(-1)?.line).toBe('after-truncation');
    } finally {
      await driver.close({ stopInstances: true, graceMs: 2_000 });
    }
  });

  it('skips ahead, saying so, when the reader falls too far behind, and empties the file once caught up', async () => {
    const file = join(workDir.path, 'out.log');
    const line = `${'y'.repeat(99)}\n`;
    await appendFile(file, line.repeat(10_000)); // 1,000,000 bytes waiting before the reader starts
    const seen: string[] = [];
    const tail = new LogTail({
      path: file,
      stream: 'stdout',
      fromEnd: false,
      maxFileBytes: 500_000,
      maxBacklogBytes: 100_000,
      onLine: (l) => seen.push(l.line),
    });
    await tail.open();
    try {
      await tail.drain();
      expect(seen).toEqual([
        '[gantry] 1000000 bytes of output skipped: the instance wrote faster than its logs could be stored',
      ]);
      expect(tail.skippedBytes).toBe(1_000_000);
      expect((await stat(file)).size).toBe(0);
      await appendFile(file, 'after the gap\n');
      await tail.drain();
      expect(seen.at(-1)).toBe('after the gap');
    } finally {
      await tail.close({ final: false });
    }
  });

  it('removes the output files of a stopped instance', async () => {
    const driver = createProcessDriver({ dataDir: dataDir.path });
    try {
      const info = await driver.start(makeSpec(workDir.path));
      const dir = join(dataDir.path, 'instances', info.id);
      expect((await stat(dir)).isDirectory()).toBe(true);
      await driver.stop(info.id, { graceMs: 2_000 });
      await expect(stat(dir)).rejects.toThrow(/ENOENT/);
    } finally {
      await driver.close({ stopInstances: true, graceMs: 2_000 });
    }
  });
});
