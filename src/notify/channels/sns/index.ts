// AWS SNS Publish through the AWS SDK. Credentials come from the SDK's standard chain (environment,
// shared files, SSO, instance or task role); the region from the channel, else from the topic ARN,
// whose region is the only one the topic can be published in. The SDK does not retry: the outbox does.
// The SDK is loaded on first use: it costs a server without SNS channels 5 MB of memory for nothing.
import type { SNSClient } from '@aws-sdk/client-sns';
import { networkFailure } from '../../http.ts';
import type { ChannelSender, SendResult } from '../../types.ts';
import { buildSnsPublish, regionOfArn } from './message.ts';

const clients = new Map<string, SNSClient>();
const MAX_CLIENTS = 16;

export const sendSns: ChannelSender<'sns'> = async (channel, ctx) => {
  const region = channel.region ?? regionOfArn(channel.topic_arn);
  const { PublishCommand, SNSClient } = await import('@aws-sdk/client-sns');
  const client = clientFor(SNSClient, region, channel.endpoint, ctx.timeoutMs);
  try {
    await client.send(new PublishCommand(buildSnsPublish(ctx.notification, channel.topic_arn)), {
      abortSignal: AbortSignal.any([ctx.signal, AbortSignal.timeout(ctx.timeoutMs)]),
    });
    return { retry: false };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return classifySnsError(err, ctx.timeoutMs);
  }
};

function clientFor(
  Client: typeof SNSClient,
  region: string | undefined,
  endpoint: string | undefined,
  timeoutMs: number,
): SNSClient {
  const key = `${region ?? ''}|${endpoint ?? ''}|${timeoutMs}`;
  let client = clients.get(key);
  if (!client) {
    if (clients.size >= MAX_CLIENTS) {
      for (const c of clients.values()) c.destroy();
      clients.clear();
    }
    client = new Client({
      ...(region !== undefined ? { region } : {}),
      ...(endpoint !== undefined ? { endpoint } : {}),
      maxAttempts: 1,
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
    });
    clients.set(key, client);
  }
  return client;
}

export function classifySnsError(err: unknown, timeoutMs: number): SendResult {
  const e = err as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    $fault?: 'client' | 'server';
  };
  const name = e.name ?? 'Error';
  if (name === 'CredentialsProviderError') {
    return {
      retry: false,
      error:
        'no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) for the Gantry server, or give it an instance or task role',
    };
  }
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined) return { retry: true, error: `SNS: ${networkFailure(err, timeoutMs).error}` };
  const retry = status >= 500 || status === 429 || /throttl/i.test(name) || e.$fault === 'server';
  return { retry, error: `SNS answered ${status} ${name}: ${e.message ?? ''}`.trim() };
}
