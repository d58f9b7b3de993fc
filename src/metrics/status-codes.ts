// The `code` label of gantry_http_requests_total, with a bounded set of values: every status code
// registered with IANA (the 63 that Node's http.STATUS_CODES names) keeps its number; any other
// status (an upstream's 299 or 520) counts as "other", next to its class in `code_class`. So a
// series has at most MAX_CODE_LABELS values of `code`, whatever an upstream sends.

/** Status codes that get a `code` label of their own. */
export const LABELLED_STATUS_CODES = [
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307,
  308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421,
  422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 510, 511,
] as const;

/** The `code` label of a status not in LABELLED_STATUS_CODES. */
export const OTHER_CODE = 'other';

/** Distinct values the `code` label can take: the labelled codes and "other". */
export const MAX_CODE_LABELS = LABELLED_STATUS_CODES.length + 1;

/**
 * Slots of SeriesState.statuses: one per labelled code, then one "other" per class 1xx–5xx, then
 * one for a status outside 100–599.
 */
export const STATUS_SLOTS = LABELLED_STATUS_CODES.length + 6;
const OUT_OF_RANGE_SLOT = STATUS_SLOTS - 1;

const SLOT_OF = new Uint8Array(600);
for (let s = 100; s < 600; s++) SLOT_OF[s] = LABELLED_STATUS_CODES.length + ((s / 100) | 0) - 1;
LABELLED_STATUS_CODES.forEach((code, i) => {
  SLOT_OF[code] = i;
});

/** The slot a status is counted in (the proxy's hot path: one array read). */
export function statusSlot(status: number): number {
  return status >= 100 && status < 600 ? (SLOT_OF[status | 0] as number) : OUT_OF_RANGE_SLOT;
}

/** The `code` and `code_class` labels of a slot. */
export function slotLabels(slot: number): { code: string; codeClass: string } {
  const known = LABELLED_STATUS_CODES[slot];
  if (known !== undefined) return { code: String(known), codeClass: `${(known / 100) | 0}xx` };
  if (slot === OUT_OF_RANGE_SLOT) return { code: OTHER_CODE, codeClass: 'other' };
  return { code: OTHER_CODE, codeClass: `${slot - LABELLED_STATUS_CODES.length + 1}xx` };
}
