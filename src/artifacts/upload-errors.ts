// The two ways an upload is refused for its bytes rather than its contents: too many of them, or
// not the ones the client said it sent.
import { formatSize } from '../config/units.ts';
import { GantryError } from '../lib/errors.ts';

/** The upload (of `declared` bytes, when the request said) is over the server's limit. */
export function artifactTooLarge(maxBytes: number, declared?: number): GantryError {
  const what = declared === undefined ? 'the upload' : `the upload (${declared} bytes)`;
  return new GantryError(
    'ARTIFACT_TOO_LARGE',
    `${what} is larger than the limit of ${describeBytes(maxBytes)}; nothing was stored`,
    {
      hint: 'Make the artifact smaller, or raise the limit with `gantry server --max-artifact-size` (or GANTRY_MAX_ARTIFACT_SIZE).',
      details: { maxBytes, ...(declared === undefined ? {} : { declared }) },
    },
  );
}

export function checksumMismatch(expected: string, actual: string, bytes: number): GantryError {
  return new GantryError(
    'CHECKSUM_MISMATCH',
    `the ${bytes} bytes received have SHA-256 ${actual}, not the ${expected.toLowerCase()} sent with them; nothing was stored`,
    { details: { expected: expected.toLowerCase(), actual, bytes } },
  );
}

/** `536870912 bytes (512MB)`; just `10000 bytes` when no unit divides it. */
function describeBytes(n: number): string {
  const short = formatSize(n);
  return /^\d+B$/.test(short) ? `${n} bytes` : `${n} bytes (${short})`;
}
