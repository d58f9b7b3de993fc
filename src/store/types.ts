// Records and repository interfaces of the store, one module per concern under types/. Callers
// depend on these only; the SQLite and PostgreSQL dialects implement them.

export * from './types/acme.ts';
export * from './types/alarms.ts';
export * from './types/audit.ts';
export * from './types/catalog.ts';
export * from './types/environment-events.ts';
export * from './types/incidents.ts';
export * from './types/instances.ts';
export * from './types/logs.ts';
export * from './types/metric-rollups.ts';
export * from './types/notifications.ts';
export * from './types/releases.ts';
export * from './types/scan-reports.ts';
export * from './types/secrets.ts';
export * from './types/store.ts';
export * from './types/tokens.ts';
export * from './types/triggers.ts';
