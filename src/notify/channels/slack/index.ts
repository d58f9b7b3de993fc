// Slack through an incoming webhook. Slack answers 200 "ok"; a 4xx names the problem in plain text
// (invalid_payload, channel_not_found…) and is final; 429 (with Retry-After) and 5xx are retried.
import { postAndCheck } from '../../http.ts';
import type { ChannelSender } from '../../types.ts';
import { DELIVERY_HEADER } from '../webhook/index.ts';
import { buildSlackMessage } from './blocks.ts';

export const sendSlack: ChannelSender<'slack'> = async (channel, ctx) => {
  const url = ctx.resolve(channel.webhook_url);
  const body = JSON.stringify(buildSlackMessage(ctx.notification, channel.channel));
  return postAndCheck(
    url,
    body,
    { 'content-type': 'application/json', [DELIVERY_HEADER]: ctx.deliveryId },
    { timeoutMs: ctx.timeoutMs, signal: ctx.signal },
  );
};
