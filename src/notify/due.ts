// Which pending deliveries to send now. Rows of one lane (an alert group to one channel) go out in
// the order they were written, one at a time, so a receiver that was down never gets "resolved"
// before the "firing" it follows.
import type { DeliveryRecord } from '../store/types.ts';

export interface DuePick {
  /** Heads of their lanes, due now and held by nobody, oldest first. */
  due: DeliveryRecord[];
  /** When the next blocked head becomes due (ms), if any. */
  nextAt: number | undefined;
}

export function laneOf(d: Pick<DeliveryRecord, 'groupKey' | 'receiver' | 'channelIndex'>): string {
  return `${d.groupKey}\u0000${d.receiver}\u0000${d.channelIndex}`;
}

/** `pending` is oldest first; `busy` holds the ids this worker is sending. */
export function pickDue(pending: DeliveryRecord[], now: number, busy: ReadonlySet<string>): DuePick {
  const seen = new Set<string>();
  const due: DeliveryRecord[] = [];
  let nextAt: number | undefined;
  const later = (t: number) => {
    nextAt = nextAt === undefined ? t : Math.min(nextAt, t);
  };
  for (const row of pending) {
    const lane = laneOf(row);
    if (seen.has(lane)) continue;
    seen.add(lane);
    if (busy.has(row.id)) continue;
    const heldUntil = row.claimedUntil === null ? 0 : Date.parse(row.claimedUntil);
    const at = Math.max(Date.parse(row.nextAttemptAt), heldUntil);
    if (at <= now) due.push(row);
    else later(at);
  }
  return { due, nextAt };
}
