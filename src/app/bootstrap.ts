// `--initial-version V --initial-artifact DIR`: on a fresh data dir, upload DIR as version V and
// release it to every environment that serves nothing yet, in the order their `requires` impose,
// so that one command leaves a working example behind.
import type { ArtifactStore } from '../artifacts/index.ts';
import type { LoadedConfig } from '../config/types.ts';
import type { Logger } from '../lib/log.ts';
import type { ControlPlane } from '../rollout/control.ts';
import type { ReleaseEngine } from '../rollout/engine.ts';
import type { Store } from '../store/types.ts';

export async function bootstrapInitialVersion(opts: {
  config: LoadedConfig;
  store: Store;
  artifacts: ArtifactStore;
  control: ControlPlane;
  engine: ReleaseEngine;
  logger: Logger;
  version: string;
  artifactDir: string;
}): Promise<void> {
  const { config, store, artifacts, control, engine, logger, version } = opts;
  const service = config.config.service;
  if (!(await store.versions.get(service, version))) {
    const imported = await artifacts.importDirectory(opts.artifactDir, {
      service,
      version,
      maxBytes: Number.MAX_SAFE_INTEGER,
    });
    await store.versions.create({
      service,
      version,
      artifactKind: 'dir',
      artifactRef: imported.dir,
      sha256: imported.sha256,
      sizeBytes: imported.sizeBytes,
      gitRef: null,
      gitCommit: null,
    });
    logger.info({ version, dir: opts.artifactDir }, 'initial version imported');
  }
  for (const env of orderByRequires(config)) {
    const rec = await store.environments.get(service, env);
    if (rec?.currentVersion) continue;
    const { release } = await control.release({ environment: env, version, createdBy: 'bootstrap' });
    const done = await engine.wait(release.id);
    if (done?.state !== 'succeeded') {
      logger.error({ environment: env, version, message: done?.message }, 'initial release failed');
      return;
    }
  }
}

/** Environments so that each comes after the one it requires. */
function orderByRequires(config: LoadedConfig): string[] {
  const envs = config.config.environments;
  const out: string[] = [];
  const visit = (name: string, seen: Set<string>) => {
    if (out.includes(name) || seen.has(name)) return;
    seen.add(name);
    const req = envs[name]?.requires?.passed;
    if (req) visit(req, seen);
    out.push(name);
  };
  for (const name of Object.keys(envs)) visit(name, new Set());
  return out;
}
