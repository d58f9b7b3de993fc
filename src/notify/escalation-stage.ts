// Escalation through the outbox: while an alert fires unacknowledged (and unsilenced), every step
// of `oncall.escalation` that is due becomes outbox rows with ids fixed by the firing episode and the
// step, so the handler and every tick may propose them again and each is inserted once; a restart
// resumes where the outbox stands. Acknowledging the alert (or its incident) stops the steps not yet
// due. Only alerts severe enough to open an incident (`incidents.open_at`) escalate.

import type { Severity } from '../alarms/types.ts';
import type { GantryConfig } from '../config/types.ts';
import { formatDuration } from '../config/units.ts';
import { isAtLeast } from '../incidents/severity.ts';
import { ACK_LINK_TTL_MS, signAckLink } from '../oncall/ack-link.ts';
import { dueEscalations } from '../oncall/escalation.ts';
import { groupLabelsOf } from './alert.ts';
import { findSilence } from './silences.ts';
import type { StageContext } from './stages.ts';
import type { Alert, Notification } from './types.ts';

export function escalate(ctx: StageContext, alert: Alert, config: GantryConfig, ackKey?: Buffer): void {
  const g = ctx.group;
  if (config.oncall.escalation.length === 0) return;
  if (g.status !== 'firing' || alert.status !== 'firing' || g.ackedAt !== null) return;
  const severity = alert.labels.severity as Severity | undefined;
  if (severity === undefined || !isAtLeast(severity, config.incidents.open_at)) return;
  if (findSilence(ctx.silences, alert.labels, ctx.now)) return;
  const steps = dueEscalations(config.oncall, Date.parse(alert.startsAt), ctx.now);
  for (const target of steps) {
    const after = config.oncall.escalation[target.step]?.after ?? 0;
    const annotations: Record<string, string> = {
      ...alert.annotations,
      escalation: `step ${target.step + 1} of ${config.oncall.escalation.length}${after > 0 ? `, ${formatDuration(after)} without an acknowledgement` : ''}`,
      ...(target.person !== undefined ? { oncall: `${target.person} (on call in ${target.schedule})` } : {}),
      ...(ackKey !== undefined ? { ack_url: ackUrl(ctx, ackKey, target.person) } : {}),
    };
    const notification: Notification = {
      kind: 'firing',
      groupKey: g.groupKey,
      receiver: target.receiver,
      status: 'firing',
      groupLabels: groupLabelsOf(g.alarm, g.environment, g.service),
      commonLabels: alert.labels,
      commonAnnotations: annotations,
      externalURL: ctx.externalUrl,
      alerts: [{ ...alert, annotations }],
      evidence: ctx.evidence,
    };
    target.channels.forEach((channel, index) => {
      ctx.deliveries.push({
        id: `escalate:${g.episodeId}:${target.step}:${target.receiver}:${index}`,
        groupKey: g.groupKey,
        service: g.service,
        alarm: g.alarm,
        environment: g.environment,
        receiver: target.receiver,
        channelIndex: index,
        channelType: channel.type,
        kind: 'firing',
        payload: notification,
        nextAttemptAt: new Date(ctx.now).toISOString(),
        createdAt: ctx.stamp(),
      });
    });
  }
}

/** The signed link that acknowledges this firing without a token (src/api/ack-link-routes.ts). */
function ackUrl(ctx: StageContext, key: Buffer, person: string | undefined): string {
  const g = ctx.group;
  const token = signAckLink(key, {
    service: g.service,
    alarm: g.alarm,
    environment: g.environment,
    episode: g.episodeId,
    ...(person !== undefined ? { person } : {}),
    expiresAt: ctx.now + ACK_LINK_TTL_MS,
  });
  return `${ctx.externalUrl}/api/v1/ack/${token}`;
}
