// The runtime module: the driver contract, its implementations and the one factory that picks one.

export { createDriver, describeHandle } from './create-driver.ts';
export { createDockerDriver, type DockerDriverOptions } from './docker/docker-driver.ts';
export { DEFAULT_DOCKER_HOST, type DockerRuntimeOptions, readDockerOptions } from './docker/options.ts';
export type * from './driver.ts';
export { type BackoffOptions, DEFAULT_BACKOFF } from './local/backoff.ts';
export {
  createProcessDriver,
  DEFAULT_LOG_BUFFER_LINES,
  type ProcessDriverOptions,
} from './local/process-driver.ts';
export { type CommandRun, runCommand } from './local/run-command.ts';
