// The pipeline after grouping, as Alertmanager composes it (notify/notify.go): each stage takes the
// alerts of one group and passes on those still to be notified. Silence drops muted firing alerts,
// dedup drops what the receivers were already told, fan-out turns the rest into outbox rows.
import type { NotifyChannel } from '../config/types.ts';
import type { AlertGroupRecord, DeliveryKind, NewDelivery, SilenceRecord } from '../store/types.ts';
import { groupLabelsOf } from './alert.ts';
import { findSilence } from './silences.ts';
import type { Alert, AlertEvidence, Notification } from './types.ts';

export interface StageContext {
  now: number;
  /** ISO-8601 times for new rows, strictly increasing, so the outbox keeps their order. */
  stamp: () => string;
  /** The group's state; stages update it, the caller stores it with the deliveries. */
  group: AlertGroupRecord;
  /** The transition being handled; undefined on a timer tick. */
  transitionId: string | undefined;
  evidence: AlertEvidence;
  externalUrl: string;
  silences: SilenceRecord[];
  /** The channels of a notify group in the current config (undefined: no such group). */
  channels: (receiver: string) => NotifyChannel[] | undefined;
  repeatIntervalMs: number;
  /** Set by dedup: what kind of notification passes. */
  kind?: DeliveryKind;
  /** Set by the silence stage when it muted the alert. */
  silencedBy?: SilenceRecord;
  /** Set by fan-out. */
  deliveries: NewDelivery[];
  /** Notify groups the rule names that gantry.yaml does not have. */
  unknownReceivers: string[];
  ackedBy?: string;
}

export type Stage = (ctx: StageContext, alerts: Alert[]) => Alert[] | Promise<Alert[]>;

/** Runs stages in order; an empty list ends the run early. */
export function multiStage(...stages: Stage[]): Stage {
  return async (ctx, alerts) => {
    let current = alerts;
    for (const stage of stages) {
      if (current.length === 0) break;
      current = await stage(ctx, current);
    }
    return current;
  };
}

/**
 * Drops firing alerts an active silence matches. Resolved alerts pass: receivers that were told an
 * alert fires must be told it stopped, even if someone silenced it meanwhile.
 */
export const silenceStage: Stage = (ctx, alerts) =>
  alerts.filter((a) => {
    if (a.status !== 'firing') return true;
    const silence = findSilence(ctx.silences, a.labels, ctx.now);
    if (silence) ctx.silencedBy = silence;
    return !silence;
  });

/**
 * Notifies on a change between firing and resolved, and while firing again every repeat interval
 * unless acknowledged. A resolved alert whose firing nobody was told about stays quiet.
 */
export const dedupStage: Stage = (ctx, alerts) => {
  const g = ctx.group;
  return alerts.filter((a) => {
    if (a.status === 'resolved') {
      if (g.notified !== 'firing') return false;
      ctx.kind = 'resolved';
      return true;
    }
    if (g.notified !== 'firing') {
      ctx.kind = 'firing';
      return true;
    }
    if (g.ackedAt !== null || g.lastNotifiedAt === null) return false;
    if (ctx.now < Date.parse(g.lastNotifiedAt) + ctx.repeatIntervalMs) return false;
    ctx.kind = 'repeat';
    return true;
  });
};

/** One outbox row per channel of every notify group of the rule; records what the receivers were told. */
export function fanoutStage(only?: (c: NotifyChannel) => boolean): Stage {
  return (ctx, alerts) => {
    const [alert] = alerts;
    const kind = ctx.kind;
    if (!alert || !kind) return [];
    const g = ctx.group;
    if (kind === 'repeat') g.repeats += 1;
    for (const receiver of g.receivers) {
      const channels = ctx.channels(receiver);
      if (!channels) {
        ctx.unknownReceivers.push(receiver);
        continue;
      }
      const notification = notificationOf(ctx, kind, receiver, alert);
      channels.forEach((channel, index) => {
        if (only && !only(channel)) return;
        const createdAt = ctx.stamp();
        ctx.deliveries.push({
          id: deliveryId(ctx, kind, receiver, index),
          groupKey: g.groupKey,
          service: g.service,
          alarm: g.alarm,
          environment: g.environment,
          receiver,
          channelIndex: index,
          channelType: channel.type,
          kind,
          payload: notification,
          // Due now; createdAt only orders the rows (it may run a few ms ahead of the clock).
          nextAttemptAt: new Date(ctx.now).toISOString(),
          createdAt,
        });
      });
    }
    if (kind !== 'acknowledge') {
      g.notified = alert.status;
      g.lastNotifiedAt = new Date(ctx.now).toISOString();
    }
    return alerts;
  };
}

/** The standard pipeline of a group's alert. */
export const notifyPipeline: Stage = multiStage(silenceStage, dedupStage, fanoutStage());

/**
 * Deterministic ids, so a replayed transition or a restarted tick inserts nothing twice: the firing
 * notification of an episode is named by the transition that started it, a resolved one by its own
 * transition, repeats and acknowledgements by the episode and their number.
 */
function deliveryId(ctx: StageContext, kind: DeliveryKind, receiver: string, index: number): string {
  const g = ctx.group;
  const lane = `${receiver}:${index}`;
  switch (kind) {
    case 'firing':
      return `${g.episodeId}:${lane}`;
    case 'resolved':
      return `${ctx.transitionId ?? `resolved:${g.episodeId}`}:${lane}`;
    case 'repeat':
      return `repeat:${g.episodeId}:${g.repeats}:${lane}`;
    case 'acknowledge':
      return `ack:${g.episodeId}:${lane}`;
  }
}

function notificationOf(ctx: StageContext, kind: DeliveryKind, receiver: string, alert: Alert): Notification {
  return {
    kind,
    groupKey: ctx.group.groupKey,
    receiver,
    status: alert.status,
    groupLabels: groupLabelsOf(ctx.group.alarm, ctx.group.environment, ctx.group.service),
    commonLabels: alert.labels,
    commonAnnotations: alert.annotations,
    externalURL: ctx.externalUrl,
    alerts: [alert],
    evidence: ctx.evidence,
    ...(ctx.ackedBy !== undefined ? { ackedBy: ctx.ackedBy } : {}),
  };
}
