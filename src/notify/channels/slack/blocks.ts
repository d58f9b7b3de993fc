// A Slack Block Kit message for an incoming webhook: a header with the state and alarm, the reason,
// the facts as fields, a button back to the alarm in Gantry, and `text` as the notification fallback.
import type { Notification } from '../../types.ts';
import { factsOf, headlineOf, stateWord, thresholdOf, titleOf, truncate } from '../text.ts';

// Block Kit limits: header text 150 characters, section text 3000, a field 2000.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;

const ICONS: Record<string, string> = {
  ALARM: ':red_circle:',
  RESOLVED: ':large_green_circle:',
  ACK: ':eyes:',
};

export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
  channel?: string;
}

export function buildSlackMessage(n: Notification, channel?: string): SlackMessage {
  const f = factsOf(n);
  const state = stateWord(n);
  const field = (name: string, value: string) => ({
    type: 'mrkdwn',
    text: truncate(`*${name}*\n${escapeMrkdwn(value || '-')}`, FIELD_MAX),
  });
  const fields = [
    field('Environment', f.environment),
    field('Severity', f.severity),
    field('Metric', `${f.metric} ${thresholdOf(n)}`.trim()),
    field('Service', f.service),
  ];
  if (f.runbook) fields.push(field('Runbook', f.runbook));
  const blocks: Array<Record<string, unknown>> = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncate(`${ICONS[state] ?? ''} ${state}: ${f.alarm}`.trim(), HEADER_MAX),
        emoji: true,
      },
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(`${escapeMrkdwn(headlineOf(n))}\n*${escapeMrkdwn(f.reason)}*`, SECTION_MAX),
      },
    },
    { type: 'section', fields },
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: 'open_in_gantry',
          text: { type: 'plain_text', text: 'Open in Gantry' },
          url: f.link,
          ...(state === 'ALARM' ? { style: 'danger' } : {}),
        },
      ],
    },
  ];
  return {
    text: `${titleOf(n)}: ${f.reason}`,
    blocks,
    ...(channel !== undefined ? { channel } : {}),
  };
}

/** Slack's three control characters in mrkdwn text. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
