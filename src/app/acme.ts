// Automatic HTTPS wired into the server: the environments of gantry.yaml with `tls.acme` become the
// ACME manager's targets; its HTTP-01 answers and certificates reach the data plane through a
// re-apply (the listeners answer challenges and pick certificates by SNI); its state feeds /metrics
// and the built-in alarms.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AcmeManager,
  type AcmeTarget,
  type ChallengeResponder,
  certificateDatapoint,
  certificateMetrics,
  type KeySealer,
  keyAddress,
} from '../acme/index.ts';
import type { ExtraMetricSource } from '../alarms/datapoints.ts';
import type { LoadedConfig } from '../config/types.ts';
import { GantryError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { ExtraMetric } from '../metrics/prometheus.ts';
import type { SecretService } from '../secrets/index.ts';
import type { Store } from '../store/types.ts';

export interface AcmeService {
  /** HTTP-01 answers the listeners give now, token → key authorization. */
  challenges(): Record<string, string>;
  /** The certificate an ACME environment's listener serves (possibly the stand-in). */
  certificate(environment: string): { hosts: string[]; cert: string; key: string } | undefined;
  /**
   * Loads the stored certificates and starts obtaining the missing ones; `reapply` hands the data
   * plane the current answers and certificates (it resolves once the listeners have them).
   */
  start(reapply: () => Promise<void>): Promise<void>;
  /** Follows a reloaded config (new, changed or removed ACME environments). */
  reload(): Promise<void>;
  metrics(): ExtraMetric[];
  datapoints: ExtraMetricSource;
  stop(): Promise<void>;
}

export function createAcmeService(opts: {
  config: () => LoadedConfig;
  store: Pick<Store, 'acme' | 'events'>;
  /** The secrets store: seals the keys, and re-seals them when the master key is rotated. */
  sealer: KeySealer & Pick<SecretService, 'onKeyRotated'>;
  logger: Logger;
}): AcmeService {
  opts.sealer.onKeyRotated((reseal) => opts.store.acme.rekey((owner, key) => reseal(keyAddress(owner), key)));
  const answers = new Map<string, string>();
  let reapply: () => Promise<void> = async () => {};
  let applying: Promise<void> = Promise.resolve();
  let stopped = false;
  // Serialised, so a slower, older apply never lands after a newer one; none once stopped (an
  // order still finishing must not reopen the listeners of a server going down).
  const apply = (): Promise<void> => {
    const next = applying.then(() => (stopped ? undefined : reapply()));
    applying = next.catch(() => {});
    return next;
  };
  const responder: ChallengeResponder = {
    async set(token, keyAuthorization) {
      answers.set(token, keyAuthorization);
      await apply();
    },
    async remove(token) {
      answers.delete(token);
      await apply();
    },
  };
  const manager = new AcmeManager({
    service: opts.config().config.service,
    targets: () => acmeTargets(opts.config()),
    store: opts.store,
    sealer: opts.sealer,
    responder,
    onChange: () => apply(),
    logger: opts.logger,
  });
  return {
    challenges: () => Object.fromEntries(answers),
    certificate: (environment) => manager.served(environment),
    async start(fn) {
      reapply = fn;
      await manager.start();
    },
    async reload() {
      await manager.reconcile();
      await apply();
    },
    metrics: () => certificateMetrics(manager.statuses(), Date.now()),
    datapoints: { datapoint: (q) => certificateDatapoint(manager.statuses(), q) },
    stop() {
      stopped = true;
      return manager.stop();
    },
  };
}

/** The environments with `tls.acme` (and hosts, which validation requires), as the manager's targets. */
export function acmeTargets(loaded: LoadedConfig): AcmeTarget[] {
  return Object.values(loaded.config.environments).flatMap((env) => {
    const acme = env.tls?.acme;
    if (!acme || !env.hosts) return [];
    return [
      {
        environment: env.name,
        hosts: env.hosts,
        email: acme.email,
        directory: acme.directory,
        ...(acme.ca_file !== undefined
          ? { directoryCa: readCaFile(loaded, env.name, path.resolve(loaded.dir, acme.ca_file)) }
          : {}),
      },
    ];
  });
}

function readCaFile(loaded: LoadedConfig, environment: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new GantryError(
      'CONFIG_INVALID',
      `${loaded.file}: environments.${environment}.tls.acme.ca_file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      { hint: "Give the PEM file of the ACME directory's CA, relative to gantry.yaml's directory." },
    );
  }
}
