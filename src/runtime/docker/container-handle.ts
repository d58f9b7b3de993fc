// The docker driver's handle: the container id, which stays the same across the instance's restarts
// (the driver starts the same container again) and after a server restart (adoption by id).
import type { InstanceHandle } from '../driver.ts';

export interface ContainerHandle extends InstanceHandle {
  readonly driver: 'docker';
  readonly containerId: string;
}

const CONTAINER_ID = /^[0-9a-f]{12,64}$/;

export function containerHandle(containerId: string): ContainerHandle {
  return { driver: 'docker', containerId };
}

/** The container id of a stored handle, or undefined when it is not a docker handle. */
export function readContainerHandle(handle: InstanceHandle): { containerId: string } | undefined {
  if (handle.driver !== 'docker') return undefined;
  const { containerId } = handle;
  return typeof containerId === 'string' && CONTAINER_ID.test(containerId) ? { containerId } : undefined;
}
