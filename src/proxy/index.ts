// The data plane's public surface: createDataPlane implements the DataPlane contract of types.ts.
export {
  ApplyError,
  createDataPlane,
  type DataPlaneOptions,
  DEFAULT_CLOSE_GRACE_MS,
  DEFAULT_RETRY_AFTER_SECONDS,
  DEFAULT_UPSTREAM_OPTIONS,
} from './data-plane.ts';
export {
  type AcmeEdge,
  checkEdgeFiles,
  edgeSettingsOf,
  securityHeaderValues,
  withEdgeConfig,
} from './edge-config.ts';
export { ListenError } from './listener-socket.ts';
export type * from './types.ts';
