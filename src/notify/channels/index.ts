// One sender per channel type: the only place that knows every channel.
import type { NotifyChannel } from '../../config/types.ts';
import type { ChannelSender, ChannelType, SendContext, SendResult } from '../types.ts';
import { sendEmail } from './email/index.ts';
import { sendPagerDuty } from './pagerduty/index.ts';
import { sendSlack } from './slack/index.ts';
import { sendSns } from './sns/index.ts';
import { sendWebhook } from './webhook/index.ts';

export type ChannelSenders = { [T in ChannelType]: ChannelSender<T> };

export const channelSenders: ChannelSenders = {
  webhook: sendWebhook,
  slack: sendSlack,
  pagerduty: sendPagerDuty,
  email: sendEmail,
  sns: sendSns,
};

export function sendTo(
  senders: ChannelSenders,
  channel: NotifyChannel,
  ctx: SendContext,
): Promise<SendResult> {
  // The cast pairs each channel with its own sender, which TypeScript cannot see through the union.
  const send = senders[channel.type] as ChannelSender<typeof channel.type>;
  return send(channel as never, ctx);
}

/** Channels that take part in acknowledgements (the others are told only firing and resolved). */
export function acknowledges(channel: NotifyChannel): boolean {
  return channel.type === 'pagerduty';
}
