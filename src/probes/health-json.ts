// Reads the verdict of a health response body (draft-inadarei-api-health-check,
// `application/health+json`), so a 200 that says "fail" is a failure.

export type HealthVerdict = 'pass' | 'warn' | 'fail';

const PASS = new Set(['pass', 'ok', 'up']);
const WARN = new Set(['warn']);
const FAIL = new Set(['fail', 'error', 'down']);

/**
 * Returns the verdict stated by the body, or undefined when the response is not JSON health
 * (other content type, unparsable body, no string `status`, unknown status value).
 */
export function readHealthVerdict(contentType: string | undefined, body: string): HealthVerdict | undefined {
  if (!isJsonHealthType(contentType)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const status = (parsed as { status?: unknown }).status;
  if (typeof status !== 'string') return undefined;
  const s = status.trim().toLowerCase();
  if (PASS.has(s)) return 'pass';
  if (WARN.has(s)) return 'warn';
  if (FAIL.has(s)) return 'fail';
  return undefined;
}

// Plain application/json counts too: Spring Boot, and many hand-written endpoints, answer
// {"status":"DOWN"} with that type, and a stated "down" should never pass.
function isJsonHealthType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mime = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return mime === 'application/health+json' || mime === 'application/json';
}
