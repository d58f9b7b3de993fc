// The incidents module's public API: the manager, the severities of the users' guide, and the types
// the API, the CLI and the composition root share.
export { createIncidentManager, type IncidentManagerOptions, incidentUrl } from './manager.ts';
export { renderPostmortem } from './postmortem.ts';
export { describeSeverity, isAtLeast, SEVERITY_MEANINGS, type SeverityMeaning } from './severity.ts';
export { LOOKBACK_MS } from './timeline.ts';
export type * from './types.ts';
