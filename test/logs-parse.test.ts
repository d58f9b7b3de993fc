// Parsing of captured lines (a table of real logger outputs), redaction, and the escaping of user
// text into FTS5 queries.
import { describe, expect, it } from 'vitest';
import { parseLine } from '../src/logs/parse.ts';
import { createRedactor, REDACTED } from '../src/logs/redact.ts';
import { parseLogTime } from '../src/logs/time.ts';
import type { ParsedLine } from '../src/logs/types.ts';
import { toTsQuery } from '../src/store/postgres/log-text-search.ts';
import { toFts5Query } from '../src/store/sqlite/log-text-search.ts';

const cases: Array<{ name: string; line: string; want: ParsedLine }> = [
  {
    name: 'pino error with fields',
    line: '{"level":50,"time":1714565000000,"pid":7,"hostname":"h","msg":"payment failed","order":42}',
    want: { level: 'error', message: 'payment failed', fields: { order: 42 } },
  },
  {
    name: 'pino info',
    line: '{"level":30,"time":1714565000000,"msg":"listening","port":8080}',
    want: { level: 'info', message: 'listening', fields: { port: 8080 } },
  },
  {
    name: 'pino trace and fatal',
    line: '{"level":10,"msg":"t"}',
    want: { level: 'trace', message: 't', fields: null },
  },
  {
    name: 'pino fatal',
    line: '{"level":60,"msg":"down"}',
    want: { level: 'fatal', message: 'down', fields: null },
  },
  {
    name: "pino's custom http level (25, Verdaccio's access log) is info, not debug",
    line: '{"level":25,"time":1714565000000,"pid":1,"hostname":"h","req":{"method":"GET"},"msg":"@{request.method} @{request.url}"}',
    want: { level: 'info', message: '@{request.method} @{request.url}', fields: { req: { method: 'GET' } } },
  },
  {
    name: 'a custom level between warn and error counts as error',
    line: '{"level":45,"msg":"almost"}',
    want: { level: 'error', message: 'almost', fields: null },
  },
  {
    name: 'a number below pino levels is no level',
    line: '{"level":3,"msg":"syslog-ish"}',
    want: { level: null, message: 'syslog-ish', fields: null },
  },
  {
    name: 'winston words: http is info, verbose debug, silly trace',
    line: '{"level":"http","message":"GET /"}',
    want: { level: 'info', message: 'GET /', fields: null },
  },
  {
    name: 'bunyan',
    line: '{"name":"shop","hostname":"h","pid":1,"level":40,"msg":"slow query","time":"2026-05-01T12:00:00.000Z","v":0}',
    want: { level: 'warn', message: 'slow query', fields: { name: 'shop' } },
  },
  {
    name: 'structlog JSON',
    line: '{"event": "user logged in", "level": "info", "timestamp": "2026-05-01T12:00:00Z", "user_id": 7}',
    want: { level: 'info', message: 'user logged in', fields: { user_id: 7 } },
  },
  {
    name: 'generic JSON with message and severity',
    line: '{"severity":"WARNING","message":"disk 91% full","disk":"/"}',
    want: { level: 'warn', message: 'disk 91% full', fields: { disk: '/' } },
  },
  {
    name: 'JSON without message keeps its fields',
    line: '{"a":1}',
    want: { level: null, message: '', fields: { a: 1 } },
  },
  {
    name: 'logfmt',
    line: 'level=info msg="request done" status=200 path=/api duration=1.5',
    want: { level: 'info', message: 'request done', fields: { status: 200, path: '/api', duration: 1.5 } },
  },
  {
    name: 'logfmt error with escaped quote',
    line: 'time=2026-05-01T12:00:00Z level=error msg="bad \\"input\\"" user=ann',
    want: { level: 'error', message: 'bad "input"', fields: { user: 'ann' } },
  },
  {
    name: 'plain line',
    line: 'GET /health 200 1ms',
    want: { level: null, message: 'GET /health 200 1ms', fields: null },
  },
  {
    name: 'plain ERROR line',
    line: 'ERROR payment failed for order 42',
    want: { level: 'error', message: 'payment failed for order 42', fields: null },
  },
  {
    name: 'plain WARN: line',
    line: 'WARN: low memory',
    want: { level: 'warn', message: 'low memory', fields: null },
  },
  {
    name: 'plain [INFO] line',
    line: '[INFO] ready',
    want: { level: 'info', message: 'ready', fields: null },
  },
  {
    name: 'Gunicorn: timestamp and pid in brackets, then [LEVEL]',
    line: '[2026-11-22 03:00:00 +0000] [1234] [ERROR] Exception in worker process',
    want: { level: 'error', message: 'Exception in worker process', fields: null },
  },
  {
    name: "Python logging's default format: timestamp with a comma, then the level",
    line: '2026-11-22 03:00:00,123 WARNING [app.main] stock low for item 7',
    want: { level: 'warn', message: '[app.main] stock low for item 7', fields: null },
  },
  {
    name: 'an ISO timestamp, then the level',
    line: '2026-11-22T03:00:00.123Z INFO listening on :8080',
    want: { level: 'info', message: 'listening on :8080', fields: null },
  },
  {
    name: 'a timestamp or a bracketed field without a level word stays whole',
    line: '[db] 2026-11-22 03:00:00 connection reset',
    want: { level: null, message: '[db] 2026-11-22 03:00:00 connection reset', fields: null },
  },
  {
    name: 'Elastic Common Schema JSON: log.level',
    line: '{"@timestamp":"2026-11-22T03:00:00Z","log.level":"error","message":"payment failed"}',
    want: { level: 'error', message: 'payment failed', fields: null },
  },
  {
    name: 'a word that only starts like a level',
    line: 'INFORMATIVE banner',
    want: { level: null, message: 'INFORMATIVE banner', fields: null },
  },
  {
    name: 'broken JSON stays plain',
    line: '{"level":50,"msg":',
    want: { level: null, message: '{"level":50,"msg":', fields: null },
  },
  {
    name: 'a JSON array is plain',
    line: '[1,2]',
    want: { level: null, message: '[1,2]', fields: null },
  },
  {
    name: 'text with = signs is plain',
    line: 'x = 1 and y=2',
    want: { level: null, message: 'x = 1 and y=2', fields: null },
  },
];

describe('parseLine', () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(parseLine(c.line)).toEqual(c.want);
    });
  }
});

describe('redaction', () => {
  it('masks a secret in the text, in its JSON-escaped form and in parsed fields', () => {
    const secret = 'hunter2"x/y';
    const r = createRedactor([secret, 'ab']);
    expect(r.text(`password=${secret} done`)).toBe(`password=${REDACTED} done`);
    const line = JSON.stringify({ msg: `token ${secret}`, nested: { list: [secret] } });
    const raw = r.text(line);
    expect(raw).not.toContain('hunter2');
    const parsed = r.parsed(parseLine(raw));
    expect(JSON.stringify(parsed)).not.toContain('hunter2');
    // Values too short to be secrets are left alone rather than masking ordinary words.
    expect(r.text('about')).toBe('about');
  });
});

describe('toFts5Query', () => {
  const table: Array<[string, string | undefined]> = [
    ['payment failed', '"payment" AND "failed"'],
    ['"payment failed" order', '"payment failed" AND "order"'],
    ['pay*', '"pay"*'],
    ['a"b OR NOT', '"a""b" AND "OR" AND "NOT"'],
    ['NEAR(x y)', '"NEAR(x" AND "y)"'],
    ['"unterminated phrase', '"unterminated phrase"'],
    ['!!! ---', undefined],
    ['', undefined],
  ];
  for (const [input, want] of table) {
    it(`${JSON.stringify(input)} → ${want}`, () => expect(toFts5Query(input)).toBe(want));
  }
});

describe('toTsQuery (PostgreSQL)', () => {
  const table: Array<[string, string | undefined]> = [
    ['payment failed', "'payment' & 'failed'"],
    ['"payment failed" order', "('payment' <-> 'failed') & 'order'"],
    ['pay*', "'pay':*"],
    ['GET /api/orders*', "'get' & ('api' <-> 'orders':*)"],
    ["it's a'b OR !NOT", "('it' <-> 's') & ('a' <-> 'b') & 'or' & 'not'"],
    ['NEAR(x y)', "('near' <-> 'x') & 'y'"],
    ['"unterminated phrase', "('unterminated' <-> 'phrase')"],
    ['!!! ---', undefined],
    ['', undefined],
  ];
  for (const [input, want] of table) {
    it(`${JSON.stringify(input)} → ${want}`, () => expect(toTsQuery(input)).toBe(want));
  }
});

describe('parseLogTime', () => {
  const now = Date.UTC(2026, 4, 1, 12, 0, 0);
  it('reads ISO, now and durations back from now', () => {
    expect(parseLogTime('now', now)).toBe(now);
    expect(parseLogTime('10m', now)).toBe(now - 600_000);
    expect(parseLogTime('-1h', now)).toBe(now - 3_600_000);
    expect(parseLogTime('now-1h30m', now)).toBe(now - 5_400_000);
    expect(parseLogTime('2026-05-01T11:00:00Z', now)).toBe(now - 3_600_000);
    expect(parseLogTime('yesterday', now)).toBeUndefined();
  });
});
