// Email over SMTP through nodemailer, with the top-level `smtp:` server (implicit TLS, STARTTLS or
// plain, optional auth). A permanent SMTP rejection (5xx) or bad credentials are final; a transient
// reply (4xx) or a connection problem is retried.
import { describeError } from '../../redact.ts';
import type { ChannelSender, SendResult } from '../../types.ts';
import { buildEmail } from './message.ts';

const FINAL_CODES = new Set(['EAUTH', 'ENOAUTH', 'ECONFIG', 'EENVELOPE', 'EREQUIRETLS']);

export const sendEmail: ChannelSender<'email'> = async (channel, ctx) => {
  const smtp = ctx.smtp;
  if (!smtp) {
    return {
      retry: false,
      error: 'no `smtp:` server in gantry.yaml: add one (host, port, from) for email channels',
    };
  }
  // Loaded on first use: a server that sends no email does not carry nodemailer in memory.
  const { createTransport } = await import('nodemailer');
  const transport = createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.starttls,
    ignoreTLS: !smtp.secure && !smtp.starttls,
    ...(smtp.user !== undefined
      ? { auth: { user: smtp.user, pass: smtp.password === undefined ? '' : ctx.resolve(smtp.password) } }
      : {}),
    connectionTimeout: ctx.timeoutMs,
    greetingTimeout: ctx.timeoutMs,
    socketTimeout: ctx.timeoutMs,
  });
  const content = buildEmail(ctx.notification);
  try {
    await transport.sendMail({
      from: smtp.from,
      to: channel.to,
      subject: content.subject,
      text: content.text,
      html: content.html,
      headers: { 'X-Gantry-Delivery': ctx.deliveryId },
    });
    return { retry: false };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return classifySmtpError(err);
  } finally {
    transport.close();
  }
};

export function classifySmtpError(err: unknown): SendResult {
  const e = err as { code?: string; responseCode?: number; response?: string; permanent?: boolean };
  if (typeof e.responseCode === 'number') {
    const permanent = e.permanent ?? (e.responseCode >= 500 && e.responseCode !== 503);
    const reply = e.response ?? describeError(err);
    return { retry: !permanent, error: `SMTP server answered ${reply}` };
  }
  const code = e.code ?? '';
  return {
    retry: !FINAL_CODES.has(code),
    error: `SMTP ${code ? `${code}: ` : ''}${describeError(err)}`,
  };
}
