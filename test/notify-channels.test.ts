// Every channel against a real peer on loopback: an HTTP endpoint standing in for the webhook
// receiver, Slack, PagerDuty and SNS (checking the documented request and answering with the
// documented success and error bodies), and a real SMTP server for email.
import { createHash, createHmac } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmTransition } from '../src/alarms/types.ts';
import type { NotifyChannel, SmtpConfig } from '../src/config/types.ts';
import { buildAlert, evidenceOf, groupKeyOf, groupLabelsOf } from '../src/notify/alert.ts';
import { channelSenders } from '../src/notify/channels/index.ts';
import type { PagerDutyEvent } from '../src/notify/channels/pagerduty/event.ts';
import { SecretScope } from '../src/notify/redact.ts';
import type { Notification, SendContext, SendResult } from '../src/notify/types.ts';

const EXTERNAL = 'http://gantry.test:7070';
const STARTED = '2026-05-01T12:00:00.000Z';
const ENDED = '2026-05-01T12:07:00.000Z';
const SECRETS: Record<string, string> = {
  HOOK_KEY: 'hook-signing-key-123',
  API_TOKEN: 'api-token-456',
  PD_KEY: 'R0UTINGKEY0123456789abcdefABCDEF',
  SMTP_PASSWORD: 'smtp-pass-789',
};

function transition(over: Partial<AlarmTransition> = {}): AlarmTransition {
  return {
    id: 'alt_1',
    service: 'shop-api',
    alarm: 'high-5xx',
    environment: 'production',
    metric: 'http_5xx_rate',
    severity: 'P2',
    from: 'OK',
    to: 'ALARM',
    at: STARTED,
    reason: 'http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s',
    datapoints: [0.042, 0.05, null],
    threshold: { above: 0.01 },
    notify: ['oncall'],
    runbook: 'https://runbooks.example.com/high-5xx',
    description: 'Share of 5xx answers in production',
    ...over,
  };
}

function notification(
  kind: Notification['kind'] = 'firing',
  over: Partial<AlarmTransition> = {},
): Notification {
  const t = transition(over);
  const resolved = kind === 'resolved';
  const alert = buildAlert(
    resolved ? { ...t, at: ENDED, from: 'ALARM', to: 'OK' } : t,
    resolved ? 'resolved' : 'firing',
    STARTED,
    EXTERNAL,
  );
  return {
    kind,
    groupKey: groupKeyOf(t.alarm, t.environment, t.service),
    receiver: 'oncall',
    status: alert.status,
    groupLabels: groupLabelsOf(t.alarm, t.environment, t.service),
    commonLabels: alert.labels,
    commonAnnotations: alert.annotations,
    externalURL: EXTERNAL,
    alerts: [alert],
    evidence: evidenceOf(t),
    ...(kind === 'acknowledge' ? { ackedBy: 'alice' } : {}),
  };
}

function context(n: Notification, smtp?: SmtpConfig): SendContext & { scope: SecretScope } {
  const scope = new SecretScope((name) => SECRETS[name]);
  return {
    scope,
    deliveryId: 'alt_1:oncall:0',
    notification: n,
    resolve: (v) => scope.resolve(v),
    smtp,
    timeoutMs: 5_000,
    signal: new AbortController().signal,
  };
}

async function send(channel: NotifyChannel, n: Notification, smtp?: SmtpConfig): Promise<SendResult> {
  const ctx = context(n, smtp);
  const sender = channelSenders[channel.type] as (c: NotifyChannel, x: SendContext) => Promise<SendResult>;
  const result = await sender(channel, ctx);
  return result.error === undefined ? result : { ...result, error: ctx.scope.redact(result.error) };
}

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
}

interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/** A loopback HTTP endpoint that records every request and answers with `reply`. */
class Endpoint {
  readonly requests: Received[] = [];
  reply: (r: Received) => Reply = () => ({ status: 200, body: 'ok' });
  readonly #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        raw: Buffer.concat(chunks),
      };
      this.requests.push(r);
      const out = this.reply(r);
      res.writeHead(out.status, out.headers ?? {});
      res.end(out.body ?? '');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  last(): Received {
    const r = this.requests.at(-1);
    if (!r) throw new Error('the endpoint received nothing');
    return r;
  }

  json(): Record<string, unknown> {
    return JSON.parse(this.last().raw.toString('utf8')) as Record<string, unknown>;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

let endpoint: Endpoint;
let base: string;

beforeAll(async () => {
  endpoint = new Endpoint();
  base = await endpoint.start();
});
afterAll(() => endpoint.close());
afterEach(() => {
  endpoint.requests.length = 0;
  endpoint.reply = () => ({ status: 200, body: 'ok' });
});

describe('webhook', () => {
  const hook = (): NotifyChannel => ({
    type: 'webhook',
    url: `${base}/hooks/gantry`,
    secret: `\${secret:HOOK_KEY}`,
    headers: { Authorization: `Bearer \${secret:API_TOKEN}`, 'X-Team': 'payments' },
  });

  it('POSTs the Alertmanager v4 body, field by field, signed over the raw bytes', async () => {
    expect(await send(hook(), notification())).toEqual({ retry: false });
    const r = endpoint.last();
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/hooks/gantry');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['x-gantry-delivery']).toBe('alt_1:oncall:0');
    expect(r.headers.authorization).toBe(`Bearer ${SECRETS.API_TOKEN}`);
    expect(r.headers['x-team']).toBe('payments');
    const expected = `sha256=${createHmac('sha256', SECRETS.HOOK_KEY ?? '')
      .update(r.raw)
      .digest('hex')}`;
    expect(r.headers['x-gantry-signature']).toBe(expected);

    const body = endpoint.json();
    expect(Object.keys(body).sort()).toEqual(
      [
        'alerts',
        'commonAnnotations',
        'commonLabels',
        'externalURL',
        'groupKey',
        'groupLabels',
        'receiver',
        'status',
        'truncatedAlerts',
        'version',
      ].sort(),
    );
    expect(body.version).toBe('4');
    expect(body.groupKey).toBe('{}:{alertname="high-5xx", environment="production", service="shop-api"}');
    expect(body.truncatedAlerts).toBe(0);
    expect(body.status).toBe('firing');
    expect(body.receiver).toBe('oncall');
    expect(body.groupLabels).toEqual({
      alertname: 'high-5xx',
      environment: 'production',
      service: 'shop-api',
    });
    const labels = {
      alertname: 'high-5xx',
      environment: 'production',
      metric: 'http_5xx_rate',
      service: 'shop-api',
      severity: 'P2',
    };
    const annotations = {
      summary: 'http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s',
      description: 'Share of 5xx answers in production',
      runbook_url: 'https://runbooks.example.com/high-5xx',
    };
    expect(body.commonLabels).toEqual(labels);
    expect(body.commonAnnotations).toEqual(annotations);
    expect(body.externalURL).toBe(EXTERNAL);
    const alerts = body.alerts as Array<Record<string, unknown>>;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toEqual({
      status: 'firing',
      labels,
      annotations,
      startsAt: STARTED,
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://gantry.test:7070/alarms/high-5xx?environment=production',
      fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });

  it('sends the resolved alert with its end and the same fingerprint', async () => {
    await send(hook(), notification('firing'));
    const firing = (endpoint.json().alerts as Array<Record<string, string>>)[0];
    await send(hook(), notification('resolved'));
    const body = endpoint.json();
    const resolved = (body.alerts as Array<Record<string, string>>)[0];
    expect(body.status).toBe('resolved');
    expect(resolved?.status).toBe('resolved');
    expect(resolved?.startsAt).toBe(STARTED);
    expect(resolved?.endsAt).toBe(ENDED);
    expect(resolved?.fingerprint).toBe(firing?.fingerprint);
  });

  it('has no signature header without a secret', async () => {
    await send({ type: 'webhook', url: `${base}/plain`, headers: {} }, notification());
    expect(endpoint.last().headers['x-gantry-signature']).toBeUndefined();
  });

  it.each([
    [500, true],
    [502, true],
    [503, true],
    [429, true],
    [408, true],
    [400, false],
    [401, false],
    [404, false],
    [410, false],
  ])('answer %i is retryable: %s', async (status, retry) => {
    endpoint.reply = () => ({ status, body: `nope ${status}` });
    const result = await send(hook(), notification());
    expect(result.retry).toBe(retry);
    expect(result.error).toBe(`unexpected status code ${status}: nope ${status}`);
  });

  it('keeps secrets out of the error even when the receiver echoes them', async () => {
    endpoint.reply = (r) => ({ status: 400, body: `bad auth ${r.headers.authorization} at ${base}${r.url}` });
    const result = await send(hook(), notification());
    expect(result.retry).toBe(false);
    expect(result.error).not.toContain(SECRETS.API_TOKEN);
    expect(result.error).not.toContain('/hooks/gantry');
    expect(result.error).toContain('<redacted>');
  });

  it('retries when nobody listens', async () => {
    const result = await send({ type: 'webhook', url: 'http://127.0.0.1:1/x', headers: {} }, notification());
    expect(result).toEqual({ retry: true, error: 'connection refused' });
  });
});

interface SlackBody {
  text: string;
  channel?: string;
  blocks: Array<{
    type: string;
    text?: { type: string; text: string; emoji?: boolean };
    fields?: Array<{ type: string; text: string }>;
    elements?: Array<{ type: string; url?: string }>;
  }>;
}

describe('slack', () => {
  const slack = (): NotifyChannel => ({
    type: 'slack',
    webhook_url: `${base}/services/T000/B000/XXXX`,
    channel: '#ops',
  });

  it('posts a Block Kit message with a text fallback and a link back to Gantry', async () => {
    expect(await send(slack(), notification())).toEqual({ retry: false });
    const r = endpoint.last();
    expect(r.url).toBe('/services/T000/B000/XXXX');
    expect(r.headers['content-type']).toBe('application/json');
    const body = endpoint.json() as unknown as SlackBody;
    expect(body.text).toBe(
      '[ALARM] high-5xx in production (P2): http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s',
    );
    expect(body.channel).toBe('#ops');
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'actions']);
    expect(body.blocks[0]?.text).toEqual({
      type: 'plain_text',
      text: ':red_circle: ALARM: high-5xx',
      emoji: true,
    });
    expect(body.blocks[1]?.text?.type).toBe('mrkdwn');
    expect(body.blocks[1]?.text?.text).toContain('http_5xx_rate 4.2% &gt; 1%');
    const fields = (body.blocks[2]?.fields ?? []).map((f) => f.text);
    expect(fields).toContain('*Environment*\nproduction');
    expect(fields).toContain('*Severity*\nP2');
    expect(fields).toContain('*Metric*\nhttp_5xx_rate above 0.01');
    const button = body.blocks[3]?.elements?.[0];
    expect(button?.type).toBe('button');
    expect(button?.url).toBe('http://gantry.test:7070/alarms/high-5xx?environment=production');
  });

  it('says RESOLVED when the alarm recovers', async () => {
    await send(slack(), notification('resolved'));
    const body = endpoint.json() as unknown as SlackBody;
    expect(body.text.startsWith('[RESOLVED] high-5xx in production (P2)')).toBe(true);
    expect(body.blocks[0]?.text?.text).toBe(':large_green_circle: RESOLVED: high-5xx');
  });

  it.each([
    [400, 'invalid_payload', false],
    [403, 'action_prohibited', false],
    [404, 'channel_not_found', false],
    [410, 'channel_is_archived', false],
    [500, 'rollup_error', true],
  ])('Slack answering %i %s is retryable: %s', async (status, text, retry) => {
    endpoint.reply = () => ({ status, body: text, headers: { 'content-type': 'text/plain' } });
    const result = await send(slack(), notification());
    expect(result.retry).toBe(retry);
    expect(result.error).toBe(`unexpected status code ${status}: ${text}`);
  });

  it('honours Retry-After on 429', async () => {
    endpoint.reply = () => ({ status: 429, body: 'rate_limited', headers: { 'retry-after': '7' } });
    expect(await send(slack(), notification())).toEqual({
      retry: true,
      error: 'unexpected status code 429: rate_limited',
      retryAfterMs: 7000,
    });
  });
});

describe('pagerduty', () => {
  const pd = (): NotifyChannel => ({
    type: 'pagerduty',
    routing_key: `\${secret:PD_KEY}`,
    url: `${base}/v2/enqueue`,
  });
  const accepted = (r: Received): Reply => ({
    status: 202,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      status: 'success',
      message: 'Event processed',
      dedup_key: (JSON.parse(r.raw.toString()) as { dedup_key: string }).dedup_key,
    }),
  });

  it('triggers an Events API v2 event with a stable dedup_key and the mapped severity', async () => {
    endpoint.reply = accepted;
    expect(await send(pd(), notification())).toEqual({ retry: false });
    const r = endpoint.last();
    expect(r.url).toBe('/v2/enqueue');
    expect(r.headers['content-type']).toBe('application/json');
    const body = endpoint.json() as unknown as PagerDutyEvent;
    const fingerprint = notification().alerts[0]?.fingerprint;
    expect(body.routing_key).toBe(SECRETS.PD_KEY);
    expect(body.event_action).toBe('trigger');
    expect(body.dedup_key).toBe(fingerprint);
    expect(body.payload).toEqual({
      summary:
        '[ALARM] high-5xx in production (P2): http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s',
      source: 'shop-api/production',
      severity: 'error',
      timestamp: STARTED,
      component: 'shop-api',
      group: 'production',
      class: 'http_5xx_rate',
      custom_details: expect.objectContaining({
        reason: 'http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s',
        threshold: { above: 0.01 },
        datapoints: [0.042, 0.05, null],
        runbook: 'https://runbooks.example.com/high-5xx',
      }),
    });
    expect(body.links).toEqual([
      { href: 'http://gantry.test:7070/alarms/high-5xx?environment=production', text: 'high-5xx in Gantry' },
      { href: 'https://runbooks.example.com/high-5xx', text: 'Runbook' },
    ]);
    expect(body.client).toBe('Gantry');
  });

  it.each([
    ['P1', 'critical'],
    ['P2', 'error'],
    ['P3', 'warning'],
    ['P4', 'info'],
  ] as const)('maps %s to %s', async (severity, expected) => {
    endpoint.reply = accepted;
    await send(pd(), notification('firing', { severity }));
    expect((endpoint.json() as { payload: { severity: string } }).payload.severity).toBe(expected);
  });

  it('cuts the summary to 1024 characters', async () => {
    endpoint.reply = accepted;
    await send(pd(), notification('firing', { reason: 'x'.repeat(3000) }));
    const summary = (endpoint.json() as { payload: { summary: string } }).payload.summary;
    expect(summary).toHaveLength(1024);
  });

  it('acknowledges and resolves the same dedup_key', async () => {
    endpoint.reply = accepted;
    const fingerprint = notification().alerts[0]?.fingerprint;
    await send(pd(), notification('acknowledge'));
    expect(endpoint.json()).toEqual({
      routing_key: SECRETS.PD_KEY,
      event_action: 'acknowledge',
      dedup_key: fingerprint,
    });
    await send(pd(), notification('resolved'));
    expect(endpoint.json()).toEqual({
      routing_key: SECRETS.PD_KEY,
      event_action: 'resolve',
      dedup_key: fingerprint,
    });
  });

  it('treats 400 invalid event as final and 429/5xx as retryable', async () => {
    endpoint.reply = () => ({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: ["Length of 'routing_key' is incorrect (should be 32 characters)"],
      }),
    });
    expect(await send(pd(), notification())).toEqual({
      retry: false,
      error:
        "unexpected status code 400: Event object is invalid: Length of 'routing_key' is incorrect (should be 32 characters)",
    });
    endpoint.reply = () => ({
      status: 429,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        status: 'throttle exceeded',
        message: 'Requests for this service are arriving too quickly.',
      }),
    });
    expect((await send(pd(), notification())).retry).toBe(true);
    for (const status of [500, 502, 503, 504]) {
      endpoint.reply = () => ({ status, body: '' });
      expect(await send(pd(), notification())).toEqual({
        retry: true,
        error: `unexpected status code ${status}`,
      });
    }
  });

  it('never puts the routing key in an error', async () => {
    endpoint.reply = (r) => ({
      status: 400,
      body: `unknown routing key ${JSON.parse(r.raw.toString()).routing_key}`,
    });
    const result = await send(pd(), notification());
    expect(result.error).not.toContain(SECRETS.PD_KEY);
  });
});

describe('sns', () => {
  const KEY_ID = 'AKIDEXAMPLE';
  const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  const saved: Record<string, string | undefined> = {};
  const vars = {
    AWS_ACCESS_KEY_ID: KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET_KEY,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  beforeAll(() => {
    for (const [k, v] of Object.entries(vars)) {
      saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const sns = (): NotifyChannel => ({
    type: 'sns',
    topic_arn: 'arn:aws:sns:eu-west-1:123456789012:oncall',
    endpoint: base,
  });
  const published: Reply = {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult>
  <ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata>
</PublishResponse>`,
  };
  const failure = (status: number, type: string, code: string, message: string): Reply => ({
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error>
  <RequestId>9dd01905-5012-5f99-8663-4b3ecd0dfaef</RequestId>
</ErrorResponse>`,
  });

  it('publishes a SigV4-signed Publish form with subject, message and severity attribute', async () => {
    endpoint.reply = () => published;
    expect(await send(sns(), notification())).toEqual({ retry: false });
    const r = endpoint.last();
    expect(r.method).toBe('POST');
    expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(r.raw.toString('utf8'));
    expect(form.get('Action')).toBe('Publish');
    expect(form.get('Version')).toBe('2010-03-31');
    expect(form.get('TopicArn')).toBe('arn:aws:sns:eu-west-1:123456789012:oncall');
    expect(form.get('Subject')).toBe('[ALARM] high-5xx in production (P2)');
    expect(form.get('Message')).toContain('high-5xx in production is firing');
    expect(form.get('Message')).toContain('http://gantry.test:7070/alarms/high-5xx?environment=production');
    const attributes = new Map<string, string>();
    for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
      expect(form.get(`MessageAttributes.entry.${i}.Value.DataType`)).toBe('String');
      attributes.set(
        form.get(`MessageAttributes.entry.${i}.Name`) ?? '',
        form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? '',
      );
    }
    expect(attributes.get('severity')).toBe('P2');

    const auth = r.headers.authorization ?? '';
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/sns\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
        auth,
      );
    expect(m, auth).not.toBeNull();
    const [, keyId, date, region, signed = '', signature] = m ?? [];
    expect(keyId).toBe(KEY_ID);
    expect(region).toBe('eu-west-1');
    expect(signed.split(';')).toEqual(expect.arrayContaining(['host', 'x-amz-date']));
    expect(signature).toBe(sigV4(r, signed, date ?? '', region ?? '', SECRET_KEY));
  });

  it('cuts the subject to under 100 ASCII characters', async () => {
    endpoint.reply = () => published;
    await send(sns(), notification('firing', { alarm: `very-long-${'x'.repeat(150)}`, environment: 'prod' }));
    const subject = new URLSearchParams(endpoint.last().raw.toString('utf8')).get('Subject') ?? '';
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('treats a client error as final, throttling and server errors as retryable', async () => {
    endpoint.reply = () => failure(400, 'Sender', 'InvalidParameter', 'Invalid parameter: TopicArn');
    const bad = await send(sns(), notification());
    expect(bad.retry).toBe(false);
    expect(bad.error).toContain('Invalid parameter: TopicArn');
    endpoint.reply = () => failure(429, 'Sender', 'Throttled', 'Rate exceeded');
    expect((await send(sns(), notification())).retry).toBe(true);
    endpoint.reply = () => failure(500, 'Receiver', 'InternalError', 'Internal error');
    const internal = await send(sns(), notification());
    expect(internal.retry).toBe(true);
    expect(internal.error).toContain('500');
  });

  it('retries when SNS cannot be reached', async () => {
    const result = await send(
      { type: 'sns', topic_arn: 'arn:aws:sns:us-east-1:123456789012:x', endpoint: 'http://127.0.0.1:1' },
      notification(),
    );
    expect(result).toEqual({ retry: true, error: 'SNS: connection refused' });
  });
});

/** AWS Signature Version 4 of a received request, recomputed from its parts. */
function sigV4(r: Received, signedHeaders: string, date: string, region: string, secretKey: string): string {
  const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const [path = '/', query = ''] = r.url.split('?');
  const canonicalQuery = [...new URLSearchParams(query)]
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .sort()
    .join('&');
  const names = signedHeaders.split(';');
  const canonicalHeaders = names
    .map(
      (n) =>
        `${n}:${String(r.headers[n] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonicalRequest = [
    r.method,
    path,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    sha256(r.raw),
  ].join('\n');
  const amzDate = String(r.headers['x-amz-date']);
  const scope = `${date}/${region}/sns/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretKey}`, date), region), 'sns'), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('email', () => {
  interface Mail {
    from: string;
    to: string[];
    user: string | undefined;
    raw: string;
  }
  const mails: Mail[] = [];
  let rcptReply: { code: number; text: string } | undefined;
  let smtp: SMTPServer;
  let port: number;

  beforeAll(async () => {
    smtp = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authOptional: true,
      logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'gantry' && auth.password === SECRETS.SMTP_PASSWORD)
          cb(null, { user: 'gantry' });
        else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onRcptTo(_address, _session, cb) {
        if (rcptReply) cb(Object.assign(new Error(rcptReply.text), { responseCode: rcptReply.code }));
        else cb();
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((a) => a.address),
            user: session.user as string | undefined,
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    port = (smtp.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
  afterEach(() => {
    mails.length = 0;
    rcptReply = undefined;
  });

  const server = (over: Partial<SmtpConfig> = {}): SmtpConfig => ({
    host: '127.0.0.1',
    port,
    secure: false,
    starttls: false,
    user: 'gantry',
    password: `\${secret:SMTP_PASSWORD}`,
    from: 'Gantry <gantry@example.com>',
    ...over,
  });
  const email: NotifyChannel = { type: 'email', to: ['ops@example.com', 'lead@example.com'] };

  it('sends a plain-text and an HTML part with the alarm subject, authenticated', async () => {
    expect(await send(email, notification(), server())).toEqual({ retry: false });
    expect(mails).toHaveLength(1);
    const mail = mails[0] as Mail;
    expect(mail.user).toBe('gantry');
    expect(mail.from).toBe('gantry@example.com');
    expect(mail.to).toEqual(['ops@example.com', 'lead@example.com']);
    const parsed = parseMime(mail.raw);
    expect(parsed.headers.subject).toBe('[ALARM] high-5xx in production (P2)');
    expect(parsed.headers['x-gantry-delivery']).toBe('alt_1:oncall:0');
    expect(parsed.text).toContain('high-5xx in production is firing');
    expect(parsed.text).toContain('Reason:      http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s');
    expect(parsed.text).toContain(
      'Open in Gantry: http://gantry.test:7070/alarms/high-5xx?environment=production',
    );
    expect(parsed.html).toContain('<h2 style="color:#c62828">[ALARM] high-5xx in production (P2)</h2>');
    expect(parsed.html).toContain('http_5xx_rate 4.2% &gt; 1%');
    expect(parsed.html).toContain('href="http://gantry.test:7070/alarms/high-5xx?environment=production"');
  });

  it('says RESOLVED in the subject when the alarm recovers', async () => {
    await send(email, notification('resolved'), server());
    const parsed = parseMime((mails[0] as Mail).raw);
    expect(parsed.headers.subject).toBe('[RESOLVED] high-5xx in production (P2)');
    expect(parsed.text).toContain(`Ended:       ${ENDED}`);
  });

  it('fails for good on a permanent rejection or bad credentials, retries a transient one', async () => {
    rcptReply = { code: 550, text: 'No such user here' };
    const permanent = await send(email, notification(), server());
    expect(permanent.retry).toBe(false);
    expect(permanent.error).toContain('550');
    rcptReply = { code: 451, text: 'Try again later' };
    const transient = await send(email, notification(), server());
    expect(transient.retry).toBe(true);
    expect(transient.error).toContain('451');
    rcptReply = undefined;
    const denied = await send(email, notification(), { ...server(), password: 'wrong-password' });
    expect(denied.retry).toBe(false);
    expect(denied.error).toContain('535');
    expect(denied.error).not.toContain('wrong-password');
  });

  it('retries when the SMTP server is down, and explains a missing smtp section', async () => {
    const down = await send(email, notification(), server({ port: 1 }));
    expect(down.retry).toBe(true);
    expect(await send(email, notification())).toEqual({
      retry: false,
      error: 'no `smtp:` server in gantry.yaml: add one (host, port, from) for email channels',
    });
  });
});

/** Just enough MIME for the two parts nodemailer writes: headers, text/plain and text/html. */
function parseMime(raw: string): { headers: Record<string, string>; text: string; html: string } {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const boundary = /boundary="?([^";]+)"?/.exec(headers['content-type'] ?? '')?.[1];
  if (!boundary) throw new Error(`not multipart: ${headers['content-type']}`);
  const parts = rest.join('\n\n').split(`--${boundary}`);
  const decoded: Record<string, string> = {};
  for (const part of parts) {
    const [ph = '', ...pb] = part.split(/\r?\n\r?\n/);
    const type = /content-type:\s*([^;\r\n]+)/i.exec(ph)?.[1]?.trim();
    const encoding = /content-transfer-encoding:\s*(\S+)/i.exec(ph)?.[1]?.toLowerCase();
    if (!type) continue;
    const body = pb.join('\n\n').trim();
    decoded[type] =
      encoding === 'base64'
        ? Buffer.from(body, 'base64').toString('utf8')
        : encoding === 'quoted-printable'
          ? Buffer.from(
              body
                .replace(/=\r?\n/g, '')
                .replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
              'latin1',
            ).toString('utf8')
          : body;
  }
  return {
    headers,
    text: (decoded['text/plain'] ?? '').replace(/\r\n/g, '\n'),
    html: decoded['text/html'] ?? '',
  };
}
