// The store as one service of a server with several sees it. Most repositories take the service
// in every query already; this view narrows the few reads and deletes that span the shared tables
// (log search and retention, pending notifications, firing alert groups, a release or an incident
// fetched by id) to the service, so one service's loops and API never act on another's rows.
import { withOverrides } from '../lib/with-overrides.ts';
import type { Store } from '../store/types.ts';

export function serviceStore(store: Store, service: string): Store {
  const { outbox, alerts } = store.notifications;
  const { logs } = store;
  return withOverrides(store, {
    // Each service searches its own lines, and keeps them under its own retention.
    logs: withOverrides(logs, {
      search: (q) => logs.search({ ...q, service }),
      totalBytes: () => logs.totalBytes(service),
      pruneBefore: (before) => logs.pruneBefore(before, service),
      pruneOldest: (bytes) => logs.pruneOldest(bytes, service),
    }),
    notifications: withOverrides(store.notifications, {
      outbox: withOverrides(outbox, {
        pending: (limit) => outbox.pending(limit, service),
        list: (q) => outbox.list({ ...q, service }),
      }),
      alerts: withOverrides(alerts, {
        list: async (q) => (await alerts.list(q)).filter((g) => g.service === service),
      }),
    }),
    releases: withOverrides(store.releases, {
      get: async (id) => {
        const r = await store.releases.get(id);
        return r?.service === service ? r : undefined;
      },
    }),
    incidents: withOverrides(store.incidents, {
      get: async (id) => {
        const i = await store.incidents.get(id);
        return i?.service === service ? i : undefined;
      },
    }),
  });
}
