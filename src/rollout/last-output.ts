// What a failure message quotes of an instance's output. The last few lines alone are often the
// end of a stack trace (`    at Module._compile …`, `  syscall: 'open',`, `Node.js v24…`) without
// the line that says what went wrong (`Error: ENOTDIR: not a directory, open '…'`), which Node
// prints a dozen lines earlier. So the quote is the error's first line, found among the recent
// lines, then the tail.

/** Lines of the tail quoted (blank ones skipped). */
export const LAST_OUTPUT_TAIL_LINES = 5;
/** Recent lines searched for the error's first line. */
export const LAST_OUTPUT_SCAN_LINES = 100;
/** Each quoted line is cut to this many characters. */
export const LAST_OUTPUT_LINE_CHARS = 200;

/**
 * The first line of an error report: `Error: …`, `TypeError [ERR_X]: …`, `SomethingException: …`,
 * Python's `Traceback (most recent call last):`, Go's `panic: …`, `fatal error: …`, or a line
 * logged at error level by a plain logger (`ERROR …`, `FATAL …`).
 */
const ERROR_HEADLINE =
  /^(?:(?:Uncaught |Unhandled )?[A-Z]?\w*(?:Error|Exception)(?: \[[\w-]+\])?: |Traceback \(most recent call last\):|panic: |fatal error: |(?:ERROR|FATAL|CRITICAL)\b)/;

/** The lines to quote from `recent` (oldest first): the error's first line if the tail lacks it, `…`, then the tail. */
export function lastOutput(recent: ReadonlyArray<{ line: string }>): string[] {
  const lines = recent.slice(-LAST_OUTPUT_SCAN_LINES).map((l) => l.line);
  const nonBlank = lines.map((line, i) => ({ line, i })).filter(({ line }) => line.trim() !== '');
  const tail = nonBlank.slice(-LAST_OUTPUT_TAIL_LINES);
  const tailStart = tail[0]?.i ?? lines.length;
  const clip = (line: string) =>
    line.length > LAST_OUTPUT_LINE_CHARS ? `${line.slice(0, LAST_OUTPUT_LINE_CHARS - 1)}…` : line;
  const quoted = tail.map(({ line }) => clip(line));
  if (tail.some(({ line }) => ERROR_HEADLINE.test(line))) return quoted;
  const headline = nonBlank.filter(({ i, line }) => i < tailStart && ERROR_HEADLINE.test(line)).at(-1);
  if (!headline) return quoted;
  const gap = nonBlank.some(({ i }) => i > headline.i && i < tailStart);
  return [clip(headline.line), ...(gap ? ['…'] : []), ...quoted];
}
