// Makes level, message and fields out of one output line: JSON from pino, bunyan, structlog or any
// logger with message/msg and level/severity keys; logfmt; otherwise the plain line, whose leading
// ERROR/WARN/INFO… word (if any) gives its level, also after a timestamp or bracketed fields
// (`[2026-11-22 03:00:00 +0000] [42] [ERROR] …` from Gunicorn, `2026-11-22 03:00:00,123 ERROR …`
// from Python's logging).
import type { LogLevel, ParsedLine } from './types.ts';

/**
 * pino's and bunyan's numbers, lowest first. A number between two of them is a custom level and
 * counts as the higher one: pino's `http` (25, Verdaccio's access log) is info, not debug, so
 * `--level info` shows it. Below 10 is no pino level (null); above 60 is fatal.
 */
const NUMERIC_LEVELS: Array<[number, LogLevel]> = [
  [10, 'trace'],
  [20, 'debug'],
  [30, 'info'],
  [40, 'warn'],
  [50, 'error'],
  [60, 'fatal'],
];

const LEVEL_WORDS: Record<string, LogLevel> = {
  trace: 'trace',
  silly: 'trace',
  debug: 'debug',
  verbose: 'debug',
  dbg: 'debug',
  info: 'info',
  information: 'info',
  notice: 'info',
  // pino's custom `http` level and winston's: access logs.
  http: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  err: 'error',
  critical: 'fatal',
  crit: 'fatal',
  fatal: 'fatal',
  panic: 'fatal',
  emerg: 'fatal',
  alert: 'fatal',
};

const MESSAGE_KEYS = ['msg', 'message', 'event'] as const;
const LEVEL_KEYS = ['level', 'severity', 'levelname', 'lvl', 'log.level'] as const;
/** Keys that only say when or by whom: shown nowhere, since the capture time and instance are kept. */
const META_KEYS = new Set(['time', 'timestamp', 'ts', '@timestamp', 'v', 'pid', 'hostname']);

/** Up to three leading `[bracketed]` fields or timestamps, which say when or who, not how bad. */
const PREAMBLE = String.raw`(?:\[[^\]]{1,64}\]\s+|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|\s?[+-]\d{2}:?\d{2})?\s+){0,3}`;
const PLAIN_LEVEL = new RegExp(
  `^${PREAMBLE}\\[?(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL)\\]?[:\\s]\\s*`,
  'i',
);
const LOGFMT_PAIR = /([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|\S*)/g;
const LOGFMT_START = /^[A-Za-z_][\w.-]*=/;

export function parseLine(line: string): ParsedLine {
  const trimmed = line.trim();
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
    const json = parseJsonObject(trimmed);
    if (json) return fromObject(json);
  }
  if (LOGFMT_START.test(trimmed)) {
    const pairs = parseLogfmt(trimmed);
    if (pairs && (hasAny(pairs, MESSAGE_KEYS) || hasAny(pairs, LEVEL_KEYS))) return fromObject(pairs);
  }
  return fromPlain(line);
}

/** A level from a number (pino/bunyan 10–60, see NUMERIC_LEVELS) or a word (any case); null when unknown. */
export function toLevel(value: unknown): LogLevel | null {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 10) return null;
    for (const [n, level] of NUMERIC_LEVELS) if (value <= n) return level;
    return 'fatal';
  }
  if (typeof value === 'string') return LEVEL_WORDS[value.toLowerCase()] ?? null;
  return null;
}

function fromObject(obj: Record<string, unknown>): ParsedLine {
  const messageKey = MESSAGE_KEYS.find((k) => typeof obj[k] === 'string');
  const levelKey = LEVEL_KEYS.find((k) => obj[k] !== undefined);
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === messageKey || k === levelKey || META_KEYS.has(k)) continue;
    fields[k] = v;
  }
  return {
    level: levelKey ? toLevel(obj[levelKey]) : null,
    message: messageKey ? (obj[messageKey] as string) : '',
    fields: Object.keys(fields).length > 0 ? fields : null,
  };
}

function fromPlain(line: string): ParsedLine {
  const m = PLAIN_LEVEL.exec(line);
  if (!m) return { level: null, message: line, fields: null };
  return { level: toLevel(m[1]), message: line.slice(m[0].length), fields: null };
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `key=value key="quoted value"`; undefined when something other than pairs is in the line. */
function parseLogfmt(text: string): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let consumed = 0;
  for (const m of text.matchAll(LOGFMT_PAIR)) {
    if (text.slice(consumed, m.index).trim() !== '') return undefined;
    const raw = m[2] ?? '';
    out[m[1] as string] = raw.startsWith('"') ? unquote(raw) : logfmtValue(raw);
    consumed = m.index + m[0].length;
  }
  return text.slice(consumed).trim() === '' ? out : undefined;
}

function unquote(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}

function logfmtValue(raw: string): unknown {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(raw) && raw.length < 16) return Number(raw);
  return raw;
}

function hasAny(obj: Record<string, unknown>, keys: readonly string[]): boolean {
  return keys.some((k) => obj[k] !== undefined);
}
