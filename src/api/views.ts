// Read models the API returns, assembled from the store (durable state) and the fleet (live state).
import type { LoadedConfig } from '../config/types.ts';
import type { DataPlane } from '../proxy/types.ts';
import type { Fleet } from '../rollout/fleet.ts';
import type { ManagedInstance } from '../rollout/managed-instance.ts';
import { describeHandle } from '../runtime/index.ts';
import type { Store, VersionRecord } from '../store/types.ts';
import type { EnvironmentView, InstanceView, VersionView } from './types.ts';

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

export function instanceView(m: ManagedInstance): InstanceView {
  return {
    id: m.id,
    environment: m.environment,
    version: m.version,
    state: m.info.status,
    ready: m.ready && !m.stopping,
    handle: m.info.handle,
    runtimeRef: describeHandle(m.info.handle),
    port: m.info.port,
    restarts: m.info.restarts,
    startedAt: iso(m.info.startedAt),
    lastExit: m.info.lastExit
      ? {
          code: m.info.lastExit.code,
          signal: m.info.lastExit.signal,
          at: new Date(m.info.lastExit.at).toISOString(),
        }
      : null,
    lastProbe: m.lastProbe
      ? { ok: m.lastProbe.ok, detail: m.lastProbe.detail, at: new Date(m.lastProbe.at).toISOString() }
      : null,
  };
}

export function versionView(v: VersionRecord): VersionView {
  return {
    service: v.service,
    version: v.version,
    artifactKind: v.artifactKind,
    ...(v.artifactKind === 'image' ? { image: v.artifactRef, digest: `sha256:${v.sha256 ?? ''}` } : {}),
    sha256: v.sha256,
    sizeBytes: v.sizeBytes,
    gitRef: v.gitRef,
    gitCommit: v.gitCommit,
    createdAt: v.createdAt,
  };
}

const asList = (v: string | string[] | undefined) =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

export async function environmentViews(
  deps: { config: LoadedConfig; store: Store; fleet: Fleet; dataPlane: DataPlane },
  only?: string,
): Promise<EnvironmentView[]> {
  const { config } = deps.config;
  const active = await deps.store.releases.listActive(config.service);
  const addresses = await deps.dataPlane.addresses();
  const views: EnvironmentView[] = [];
  for (const env of Object.values(config.environments)) {
    if (only && env.name !== only) continue;
    const rec = await deps.store.environments.get(config.service, env.name);
    const instances = deps.fleet.list(env.name).map(instanceView);
    const addr = addresses.get(env.name);
    const track = env.track
      ? {
          ...(env.track.branch ? { branch: asList(env.track.branch) } : {}),
          ...(env.track.tag ? { tag: asList(env.track.tag) } : {}),
        }
      : null;
    views.push({
      service: config.service,
      name: env.name,
      url: addr
        ? `${env.tls ? 'https' : 'http'}://${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${addr.port}`
        : `${env.tls ? 'https' : 'http'}://${env.listen}`,
      listen: env.listen,
      currentVersion: rec?.currentVersion ?? null,
      currentReleaseId: rec?.currentReleaseId ?? null,
      strategy: env.strategy.type,
      desiredInstances: env.instances,
      readyInstances: instances.filter((i) => i.ready && i.version === rec?.currentVersion).length,
      instances,
      activeRelease: active.find((r) => r.environment === env.name) ?? null,
      track,
      requires: env.requires ?? null,
    });
  }
  return views;
}
