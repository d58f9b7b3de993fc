// What an audit entry may say about a request besides who, what and where: its parameters and
// JSON body, with anything that looks like a secret replaced and sizes bounded, so the log stays
// readable and never becomes a copy of the secrets it records changes of.

const SECRET_KEY = /secret|token|password|passphrase|credential|authorization|cookie|private|api_?key|value/i;
const MAX_STRING = 300;
const MAX_KEYS = 50;
const MAX_DEPTH = 4;
export const REDACTED = '[redacted]';

export function sanitizeDetails(value: Record<string, unknown>): Record<string, unknown> {
  return sanitizeObject(value, 0);
}

function sanitize(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) return value.slice(0, MAX_KEYS).map((v) => sanitize(v, depth + 1));
  if (typeof value === 'object') return sanitizeObject(value as Record<string, unknown>, depth + 1);
  return undefined;
}

function sanitizeObject(value: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value).slice(0, MAX_KEYS)) {
    if (v === undefined) continue;
    out[k] = SECRET_KEY.test(k) ? REDACTED : sanitize(v, depth);
  }
  return out;
}
