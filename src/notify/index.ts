// The notification pipeline's public face.
export { fingerprintOf, groupKeyOf } from './alert.ts';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './backoff.ts';
export { type ChannelSenders, channelSenders } from './channels/index.ts';
export { signBody } from './channels/webhook/index.ts';
export { buildWebhookMessage, type WebhookMessage } from './channels/webhook/message.ts';
export * from './defaults.ts';
export { createNotifier, type Notifier, type NotifierOptions } from './notifier.ts';
export type * from './types.ts';
