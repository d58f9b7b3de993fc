// Start-up after a crash or a clean stop: take over the instances still running, make every
// environment serve its current version again, and resolve the releases found in flight.
import type { LoadedConfig } from '../config/types.ts';
import type { Logger } from '../lib/log.ts';
import type { Store } from '../store/types.ts';
import type { ReleaseEngine } from './engine.ts';
import type { Fleet } from './fleet.ts';

export async function recoverFleet(opts: {
  config: LoadedConfig;
  store: Pick<Store, 'environments' | 'instances' | 'releases'>;
  fleet: Fleet;
  engine: ReleaseEngine;
  logger: Logger;
  /** Instances of the server's other services (asked at the moment of need): never leftovers. */
  othersInstances?: () => Promise<ReadonlySet<string>>;
  /** Instances the running data plane routes to (a restarted control plane): they keep serving. */
  routed?: ReadonlySet<string>;
}): Promise<void> {
  const { config, store, fleet, engine, logger } = opts;
  const service = config.config.service;
  const records = await store.instances.list({ service });

  const adopted = await fleet.adopt(records, opts.routed);
  for (const m of adopted) {
    logger.info({ instance: m.id, version: m.version }, 'adopted running instance');
  }
  // What no adopted record claims goes: processes or containers of a server that died between
  // launching them and recording them, and instances of versions or environments now gone.
  const claimed = new Set(adopted.map((m) => m.id));
  const orphans = await fleet.removeOrphans(
    new Set([...claimed, ...((await opts.othersInstances?.()) ?? [])]),
  );
  if (orphans.length > 0)
    logger.warn({ instances: orphans }, 'removed leftover instances with no usable record');
  for (const rec of records) if (!claimed.has(rec.id)) await store.instances.remove(rec.id);

  const active = await store.releases.listActive(service);
  const preSwitch = new Set(
    active
      .filter((r) => r.state !== 'switching' && r.state !== 'draining')
      .flatMap((r) => r.plan.newInstanceIds),
  );
  const inFlight = new Set(active.flatMap((r) => [...r.plan.newInstanceIds, ...r.plan.oldInstanceIds]));

  for (const env of Object.values(config.config.environments)) {
    const rec = await store.environments.get(service, env.name);
    const current = rec?.currentVersion;
    if (!current) continue;
    const serving = fleet
      .list(env.name)
      .filter((m) => m.version === current && !preSwitch.has(m.id))
      .slice(0, env.instances)
      .map((m) => m.id);
    const missing = env.instances - serving.length;
    for (let i = 0; i < missing; i++) {
      const id = fleet.newInstanceId(env.name, current);
      try {
        await fleet.start(id, env.name, current, rec.currentReleaseId);
        serving.push(id);
      } catch (err) {
        logger.error(
          { err, environment: env.name, version: current },
          'could not start instance of current version',
        );
      }
    }
    logger.info(
      { environment: env.name, version: current, adopted: env.instances - missing, started: missing },
      'environment restored',
    );
    await fleet.setServing(env.name, [{ version: current, weight: 100, instanceIds: serving }]);
    const strays = fleet
      .list(env.name)
      .filter((m) => !serving.includes(m.id) && !inFlight.has(m.id))
      .map((m) => m.id);
    if (strays.length > 0) await fleet.stop(strays, { drain: true });
  }

  await engine.recover();
}
