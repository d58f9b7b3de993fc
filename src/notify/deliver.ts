// One attempt at one outbox row: find its channel in the current config, resolve the channel's
// secrets, send, and hand back the outcome with every secret scrubbed from the error.
import type { GantryConfig, NotifyChannel } from '../config/types.ts';
import { escalationChannels, isEscalationReceiver } from '../oncall/escalation.ts';
import type { DeliveryRecord } from '../store/types.ts';
import { type ChannelSenders, sendTo } from './channels/index.ts';
import { describeError, MissingSecretError, SecretScope } from './redact.ts';
import type { Notification, SendResult } from './types.ts';

export interface DeliverDeps {
  config: () => GantryConfig;
  secret: (name: string) => string | undefined;
  senders: ChannelSenders;
  timeoutMs: number;
}

/** Never throws, except when `signal` aborts (the notifier is stopping and records nothing). */
export async function deliverRow(
  row: DeliveryRecord,
  deps: DeliverDeps,
  signal: AbortSignal,
): Promise<SendResult> {
  const config = deps.config();
  const found = findChannel(config, row);
  if (typeof found === 'string') return { retry: false, error: found };
  const scope = new SecretScope(deps.secret);
  let result: SendResult;
  try {
    result = await sendTo(deps.senders, found, {
      deliveryId: row.id,
      notification: row.payload as Notification,
      resolve: (value) => scope.resolve(value),
      smtp: config.smtp,
      timeoutMs: deps.timeoutMs,
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw err;
    if (err instanceof MissingSecretError) return { retry: false, error: err.message };
    result = { retry: true, error: `${row.channelType} channel failed: ${describeError(err)}` };
  }
  return result.error === undefined ? result : { ...result, error: scope.redact(result.error) };
}

/**
 * The row's channel, looked up at send time so that a fixed URL or key in a reloaded gantry.yaml is
 * used by the retries; a message when the channel is gone or is now of another type.
 */
function findChannel(config: GantryConfig, row: DeliveryRecord): NotifyChannel | string {
  if (isEscalationReceiver(row.receiver)) {
    const channel = escalationChannels(config.oncall, row.receiver)?.[row.channelIndex];
    if (!channel || channel.type !== row.channelType) {
      return `${row.receiver} no longer has a ${row.channelType} channel at position ${row.channelIndex + 1} under oncall: in gantry.yaml`;
    }
    return channel;
  }
  const channels = config.notify[row.receiver];
  if (!channels) {
    return `notify group ${row.receiver} is no longer in gantry.yaml: the notification cannot be sent`;
  }
  const channel = channels[row.channelIndex];
  if (!channel || channel.type !== row.channelType) {
    return `notify group ${row.receiver} no longer has a ${row.channelType} channel at position ${row.channelIndex + 1} in gantry.yaml`;
  }
  return channel;
}
