// Text that came from users (silence comments, token and incident names, log lines, error
// messages quoting a request) is shown with its control characters made visible: a terminal would
// otherwise obey an ESC sequence in it (recolour, move the cursor, retitle the window, hide what
// follows) or a carriage return could overwrite what Gantry printed before it on the line.

/**
 * C0 controls and DEL, C1 controls (0x9b is a one-byte CSI on many terminals) and the Unicode
 * direction overrides that reorder what is displayed.
 */
const CONTROLS = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;

function visible(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line or table cell: every control character (newlines and tabs too) made visible. */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, visible);
}

/** Text printed as lines: newlines and tabs kept, every other control character made visible. */
export function escapeControlsKeepingLines(text: string): string {
  return text.replace(CONTROLS, (c) => (c === '\n' || c === '\t' ? c : visible(c)));
}
