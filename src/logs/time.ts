// Times a user gives for --since/--until and the API's since/until: ISO-8601, `now`, or a duration
// back from now (`10m`, `-1h`, `now-2d`).
import { parseDuration } from '../config/units.ts';

export function parseLogTime(text: string, now: number): number | undefined {
  const t = text.trim();
  if (t === 'now') return now;
  const relative = /^(?:now)?-?((?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+)$/.exec(t)?.[1];
  if (relative !== undefined) {
    const ms = parseDuration(relative);
    return ms === undefined ? undefined : now - ms;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}
