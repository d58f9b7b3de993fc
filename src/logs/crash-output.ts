// The level of a crash's output. A process that dies prints why on stderr, usually without a level
// of its own: Node's uncaught exception (`ENOTDIR: not a directory …` and its stack), Python's
// traceback, Go's panic. Such lines were stored without a level, so `gantry logs --level error`
// found nothing after a crash. The rule: when an instance exits unexpectedly with a non-zero code
// or by a signal, its stderr lines without a level from the last CRASH_OUTPUT_WINDOW_MS before the
// exit, at most the newest CRASH_OUTPUT_MAX_LINES, become `error`. Lines that carry a level keep
// it, stdout keeps its levels, and stderr of a process that keeps running is not judged: many
// programs write ordinary logs there (Go's log package, Python's logging by default).

/** How far before an exit unlevelled stderr lines count as the crash's output. */
export const CRASH_OUTPUT_WINDOW_MS = 10_000;
/** At most this many lines are marked per exit, the newest: a stack trace or traceback fits. */
export const CRASH_OUTPUT_MAX_LINES = 200;

export interface ExitFacts {
  code: number | null;
  signal: string | null;
}

/** An exit is a crash when it has a non-zero code or was by a signal (Gantry's own stops are not exits). */
export function isCrash(exit: ExitFacts): boolean {
  return exit.code === null ? exit.signal !== null : exit.code !== 0;
}
