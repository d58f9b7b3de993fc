// The delivery log as the API and CLI show it: no payload (it is the notifier's), no claim.
import type { DeliveryRecord } from '../store/types.ts';
import type { DeliveryView, Notification } from './types.ts';

export function viewDelivery(d: DeliveryRecord): DeliveryView {
  const payload = d.payload as Partial<Notification> | null;
  return {
    id: d.id,
    alarm: d.alarm,
    environment: d.environment,
    receiver: d.receiver,
    channel: d.channelType,
    channelIndex: d.channelIndex,
    kind: d.kind,
    alertStatus: payload?.status === 'resolved' ? 'resolved' : 'firing',
    status: d.status,
    attempts: d.attempts,
    lastError: d.lastError,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    deliveredAt: d.deliveredAt,
  };
}
