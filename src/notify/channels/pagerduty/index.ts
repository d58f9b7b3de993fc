// PagerDuty Events API v2. PagerDuty documents 202 for an accepted event, 400 for an invalid one
// (final), 429 for too many events and 5xx for its own trouble (both retried).
import { PAGERDUTY_EVENTS_URL } from '../../defaults.ts';
import { type HttpReply, postAndCheck } from '../../http.ts';
import type { ChannelSender } from '../../types.ts';
import { DELIVERY_HEADER } from '../webhook/index.ts';
import { buildPagerDutyEvent } from './event.ts';

export const sendPagerDuty: ChannelSender<'pagerduty'> = async (channel, ctx) => {
  const event = buildPagerDutyEvent(ctx.notification, ctx.resolve(channel.routing_key));
  return postAndCheck(
    channel.url ?? PAGERDUTY_EVENTS_URL,
    JSON.stringify(event),
    { 'content-type': 'application/json', [DELIVERY_HEADER]: ctx.deliveryId },
    { timeoutMs: ctx.timeoutMs, signal: ctx.signal, details: describePagerDutyError },
  );
};

/** `Event object is invalid: 'payload.summary' is missing` from PagerDuty's error body. */
export function describePagerDutyError(reply: HttpReply): string {
  try {
    const body = JSON.parse(reply.body) as { message?: unknown; errors?: unknown };
    const errors = Array.isArray(body.errors) ? body.errors.map(String) : [];
    const message = typeof body.message === 'string' ? body.message : '';
    return [message, ...errors].filter(Boolean).join(': ') || reply.body;
  } catch {
    return reply.body;
  }
}
