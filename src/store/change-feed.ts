// Changes one Gantry server announces to the others on the same database, so that what they keep in
// memory (the secrets) follows. PostgreSQL carries them with LISTEN/NOTIFY (postgres/change-feed.ts);
// an SQLite store has one server only and no feed.

export interface ChangeSubscriber {
  /** Another server announced a change on the channel. */
  onChange(payload: string): void;
  /** Announcements may have been missed (the feed was disconnected): reload everything. */
  onResync(): void;
}

export interface ChangeFeed {
  /** Starts hearing a channel; returns the unsubscribe. */
  subscribe(channel: string, subscriber: ChangeSubscriber): Promise<() => void>;
  /** Tells every other server listening on the channel; the payload is short (under 8 kB) and never secret. */
  publish(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}
