// The generic webhook: POST of the Alertmanager v4 body, signed with HMAC-SHA256 over the exact bytes
// sent when the channel has a secret, with the delivery id as an idempotency header.
import { createHmac } from 'node:crypto';
import { postAndCheck } from '../../http.ts';
import type { ChannelSender } from '../../types.ts';
import { buildWebhookMessage } from './message.ts';

export const SIGNATURE_HEADER = 'x-gantry-signature';
export const DELIVERY_HEADER = 'x-gantry-delivery';

/** `sha256=<hex>` of the raw body. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export const sendWebhook: ChannelSender<'webhook'> = async (channel, ctx) => {
  const url = ctx.resolve(channel.url);
  const body = JSON.stringify(buildWebhookMessage(ctx.notification));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(channel.headers))
    headers[name.toLowerCase()] = ctx.resolve(value);
  headers['content-type'] = 'application/json';
  headers[DELIVERY_HEADER] = ctx.deliveryId;
  if (channel.secret !== undefined) headers[SIGNATURE_HEADER] = signBody(ctx.resolve(channel.secret), body);
  return postAndCheck(url, body, headers, { timeoutMs: ctx.timeoutMs, signal: ctx.signal });
};
