// Lines are stored at most MAX_STORED_LINE_BYTES long, cut only after their secrets were masked:
// cutting first stored the part of a secret that fell before the cut (`…AAAAS3cr`). The runtime
// captures lines longer than this (runtime/local/line-splitter.ts) so the mask sees whole values.

export const MAX_STORED_LINE_BYTES = 16 * 1024;

/** The line, or its first maxBytes bytes of UTF-8 (never half a character). */
export function cutLine(line: string, maxBytes = MAX_STORED_LINE_BYTES): string {
  // Fast path: a UTF-16 unit is at most 3 bytes of UTF-8.
  if (line.length * 3 <= maxBytes) return line;
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= maxBytes) return line;
  let end = maxBytes;
  // Back up to the start of a character: continuation bytes are 10xxxxxx.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
