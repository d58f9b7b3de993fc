// GET/POST /api/v1/ack/:token: the signed acknowledgement link of an escalation page. GET answers
// a small page with one button, so that mail scanners that open links acknowledge nothing; POST
// checks the signature, expiry and firing, and acknowledges the alert (stopping the escalation)
// and the incident it is part of. No token is needed: the signature is the proof.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { IncidentManager } from '../incidents/types.ts';
import { GantryError } from '../lib/errors.ts';
import { groupKeyOf } from '../notify/alert.ts';
import type { Notifier } from '../notify/notifier.ts';
import { type AckLinkClaims, verifyAckLink } from '../oncall/ack-link.ts';
import type { Store } from '../store/types.ts';
import { answerError } from './answer-error.ts';
import { type RouteDoc, text } from './route-doc.ts';

export interface AckLinkRouteDeps {
  key: Buffer;
  notifier: Pick<Notifier, 'ack'>;
  incidents: Pick<IncidentManager, 'ack'>;
  store: Pick<Store, 'notifications' | 'incidents'>;
  service: () => string;
  now?: () => number;
}

export const ackLinkRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/v1/ack/:token',
    operationId: 'getAckLinkPage',
    access: 'public',
    summary: 'The page of a signed acknowledgement link (one button; opening it acknowledges nothing)',
    tag: 'oncall',
    responses: { 200: text('A page with one button', 'text/html') },
    errors: { 403: 'bad or expired link' },
  },
  {
    method: 'POST',
    path: '/api/v1/ack/:token',
    operationId: 'acknowledgeByLink',
    access: 'public',
    summary: 'Acknowledge the alert and incident of a signed link from an escalation page',
    tag: 'oncall',
    responses: { 200: text('acknowledged', 'text/html') },
    errors: { 403: 'bad or expired link', 409: 'no longer firing' },
  },
];

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(
      `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title><h1>${escapeHtml(title)}</h1>${body}`,
    );
}

export function registerAckLinkRoutes(app: FastifyInstance, deps: AckLinkRouteDeps): void {
  const claimsOf = (token: string): AckLinkClaims => {
    const claims = verifyAckLink(deps.key, token, (deps.now ?? Date.now)());
    if (typeof claims === 'string') {
      throw new GantryError('FORBIDDEN', claims, {
        hint: 'Acknowledge with `gantry incidents ack ID`, or on the incident page of the dashboard.',
      });
    }
    return claims;
  };

  app.get<{ Params: { token: string } }>('/api/v1/ack/:token', async (req, reply) => {
    try {
      const c = claimsOf(req.params.token);
      return page(
        reply,
        200,
        `Acknowledge ${c.alarm} in ${c.environment}?`,
        `<form method="post"><button type="submit">Acknowledge</button></form>`,
      );
    } catch (err) {
      return answerError(reply, err);
    }
  });

  app.post<{ Params: { token: string } }>('/api/v1/ack/:token', async (req, reply) => {
    try {
      const c = claimsOf(req.params.token);
      const group = await deps.store.notifications.alerts.get(
        groupKeyOf(c.alarm, c.environment, deps.service()),
      );
      if (group?.status !== 'firing' || group.episodeId !== c.episode) {
        throw new GantryError(
          'ALERT_NOT_FIRING',
          `the firing of ${c.alarm} in ${c.environment} this link is about is over: nothing to acknowledge`,
        );
      }
      const by = c.person ?? 'acknowledgement link';
      const ack = await deps.notifier.ack({ alarm: c.alarm, environment: c.environment, by });
      const active = await deps.store.incidents.findActive(deps.service(), c.environment);
      if (active?.status === 'open' && active.alarms.includes(c.alarm))
        await deps.incidents.ack(active.id, by);
      return page(
        reply,
        200,
        `Acknowledged ${c.alarm} in ${c.environment}`,
        `<p>by ${escapeHtml(by)} at ${escapeHtml(ack.ackedAt)}</p>`,
      );
    } catch (err) {
      return answerError(reply, err);
    }
  });
}
