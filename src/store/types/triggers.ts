// GitHub push webhooks: verified deliveries and the release triggers they record.

/** What became of a verified webhook delivery (a forged one is never recorded). */
export type DeliveryOutcome = 'received' | 'pong' | 'ignored' | 'released' | 'pending' | 'refused';

/** A webhook delivery whose signature verified; its id (`X-GitHub-Delivery`) guards against replays. */
export interface WebhookDeliveryRecord {
  id: string;
  source: 'github';
  event: string;
  receivedAt: string;
  outcome: DeliveryOutcome;
  message: string;
  ref: string | null;
  commit: string | null;
  triggerId: string | null;
  releaseId: string | null;
}

export type TriggerState = 'pending' | 'starting' | 'released' | 'superseded' | 'expired' | 'refused';

/** A push that should release a version to an environment, once that version is uploaded. */
export interface ReleaseTriggerRecord {
  id: string; // trg_…
  service: string;
  environment: string;
  version: string;
  ref: string;
  commit: string;
  deliveryId: string;
  pusher: string | null;
  state: TriggerState;
  message: string;
  releaseId: string | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
}

export interface TriggerRepo {
  /** Inserts a delivery; undefined (and nothing written) when its id was recorded before. */
  recordDelivery(d: Omit<WebhookDeliveryRecord, 'receivedAt'>): Promise<WebhookDeliveryRecord | undefined>;
  finishDelivery(
    id: string,
    patch: Pick<WebhookDeliveryRecord, 'outcome' | 'message' | 'ref' | 'commit' | 'triggerId' | 'releaseId'>,
  ): Promise<void>;
  getDelivery(id: string): Promise<WebhookDeliveryRecord | undefined>;
  /** Newest first. */
  listDeliveries(limit?: number): Promise<WebhookDeliveryRecord[]>;
  /** Deletes deliveries received before `before` (ISO-8601); returns how many. */
  pruneDeliveries(before: string): Promise<number>;
  createTrigger(t: Omit<ReleaseTriggerRecord, 'createdAt' | 'updatedAt'>): Promise<ReleaseTriggerRecord>;
  getTrigger(id: string): Promise<ReleaseTriggerRecord | undefined>;
  /** Newest first. */
  listTriggers(q: {
    service: string;
    state?: TriggerState;
    environment?: string;
    version?: string;
    limit?: number;
  }): Promise<ReleaseTriggerRecord[]>;
  /** Moves a trigger to `to` only while it is still in `from` (a claim); false when it was not. */
  moveTrigger(
    id: string,
    from: TriggerState,
    to: TriggerState,
    patch: { message: string; releaseId?: string | null },
  ): Promise<boolean>;
  /** Deletes triggers created before `before` that are no longer pending; returns how many. */
  pruneTriggers(before: string): Promise<number>;
}
