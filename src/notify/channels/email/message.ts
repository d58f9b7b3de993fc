// An email for a notification: subject `[ALARM] high-5xx in production (P2)` or `[RESOLVED] …`, a
// plain-text part and an HTML part saying the same.
import type { Notification } from '../../types.ts';
import { factsOf, headlineOf, plainTextOf, stateWord, thresholdOf, titleOf } from '../text.ts';

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

const COLORS: Record<string, string> = { ALARM: '#c62828', RESOLVED: '#2e7d32', ACK: '#f9a825' };

export function buildEmail(n: Notification): EmailContent {
  return { subject: titleOf(n), text: plainTextOf(n), html: htmlOf(n) };
}

function htmlOf(n: Notification): string {
  const f = factsOf(n);
  const rows: Array<[string, string]> = [
    ['Reason', f.reason],
    ['Service', f.service],
    ['Environment', f.environment],
    ['Severity', f.severity],
    ['Metric', `${f.metric} (alarm when ${thresholdOf(n)})`],
    ['Started', f.startsAt],
  ];
  if (f.endsAt) rows.push(['Ended', f.endsAt]);
  if (f.description) rows.push(['Description', f.description]);
  if (f.runbook) rows.push(['Runbook', f.runbook]);
  const color = COLORS[stateWord(n)] ?? '#333333';
  const table = rows
    .map(
      ([k, v]) =>
        `<tr><th align="left" style="padding:4px 12px 4px 0">${escapeHtml(k)}</th><td style="padding:4px 0">${escapeHtml(v)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html><body style="font-family:sans-serif">
<h2 style="color:${color}">${escapeHtml(titleOf(n))}</h2>
<p>${escapeHtml(headlineOf(n))}</p>
<table>
${table}
</table>
<p><a href="${escapeHtml(f.link)}">Open ${escapeHtml(f.alarm)} in Gantry</a></p>
</body></html>
`;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
