// Certificates of the environments that set `tls.acme`: each environment has a worker that loads
// the stored certificate at start (a restart places no new order), orders one when there is none
// (or its hosts or directory changed), renews at two thirds of its lifetime and, after a failure,
// retries with a capped, jittered backoff while the old certificate keeps serving. Orders run one at
// a time, so environments sharing an account never register it twice. Every outcome is logged and
// recorded as an environment event; statuses() feeds /metrics and the built-in alarms.
import { type Clock, systemClock } from '../lib/clock.ts';
import { type Logger, silentLogger } from '../lib/log.ts';
import type { Store } from '../store/types.ts';
import { trustDirectory } from './directory-trust.ts';
import { orderCertificate } from './order.ts';
import { DEFAULT_RETRY, type RetryPolicy, renewalDueAt, retryDelay } from './schedule.ts';
import { standInCertificate } from './stand-in.ts';
import { servedCertificate, storedCertificate } from './stored-certificate.ts';
import type { AcmeTarget, CertificateStatus, ChallengeResponder, ServedCertificate } from './types.ts';
import { accountKeyAddress, certificateKeyAddress, type KeySealer, openKey } from './vault.ts';

export interface AcmeManagerOptions {
  service: string;
  /** The environments that want a certificate, from the config current at each call. */
  targets: () => AcmeTarget[];
  store: Pick<Store, 'acme' | 'events'>;
  sealer: KeySealer;
  responder: ChallengeResponder;
  /** An environment's certificate changed (issued or renewed): the data plane should serve it. */
  onChange?: (environment: string) => void | Promise<void>;
  logger?: Logger;
  clock?: Clock;
  retry?: RetryPolicy;
  random?: () => number;
  /** How fast the order polls the CA while it validates (acme-client's default: 5 s to 30 s). */
  poll?: { minMs: number; maxMs: number };
}

/** Longest single sleep, so that timers stay within Node's range and a clock jump is noticed. */
const MAX_SLEEP_MS = 3_600_000;
/** How long stop() waits for an order in flight before letting it finish on its own. */
const STOP_WAIT_MS = 2_000;

interface Worker {
  target: AcmeTarget;
  signature: string;
  cert: ServedCertificate | undefined;
  /** Served until the first certificate arrives (see stand-in.ts). */
  standIn: ServedCertificate | undefined;
  consecutiveFailures: number;
  failuresTotal: number;
  retryAt: number;
  stop: AbortController;
  done: Promise<void>;
}

export class AcmeManager {
  readonly #opts: AcmeManagerOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #workers = new Map<string, Worker>();
  #orders: Promise<unknown> = Promise.resolve();

  constructor(opts: AcmeManagerOptions) {
    this.#opts = opts;
    this.#log = opts.logger ?? silentLogger;
    this.#clock = opts.clock ?? systemClock;
  }

  /** Loads the stored certificates, then runs a worker per environment (orders happen in the background). */
  async start(): Promise<void> {
    await this.reconcile();
  }

  /** Follows the config: workers for new environments, new orders for changed hosts or directory. */
  async reconcile(): Promise<void> {
    const wanted = new Map(this.#opts.targets().map((t) => [t.environment, t]));
    // A counter on /metrics does not go back because the environment's settings changed.
    const failuresTotal = new Map<string, number>();
    for (const [environment, worker] of this.#workers) {
      const target = wanted.get(environment);
      if (target && signatureOf(target) === worker.signature) {
        worker.target = target;
        continue;
      }
      await this.#retire(worker);
      this.#workers.delete(environment);
      failuresTotal.set(environment, worker.failuresTotal);
    }
    for (const target of wanted.values()) {
      if (this.#workers.has(target.environment)) continue;
      const cert = await storedCertificate({
        store: this.#opts.store,
        sealer: this.#opts.sealer,
        service: this.#opts.service,
        target,
        logger: this.#log,
      });
      const worker: Worker = {
        target,
        signature: signatureOf(target),
        cert,
        standIn: cert ? undefined : await standInCertificate(target.hosts),
        consecutiveFailures: 0,
        failuresTotal: failuresTotal.get(target.environment) ?? 0,
        retryAt: 0,
        stop: new AbortController(),
        done: Promise.resolve(),
      };
      this.#workers.set(target.environment, worker);
      worker.done = this.#run(worker);
    }
  }

  /** The certificate obtained for an environment, if any. */
  certificate(environment: string): ServedCertificate | undefined {
    return this.#workers.get(environment)?.cert;
  }

  /** What an environment's HTTPS listener serves: its certificate, else the self-signed stand-in. */
  served(environment: string): ServedCertificate | undefined {
    const worker = this.#workers.get(environment);
    return worker?.cert ?? worker?.standIn;
  }

  statuses(): CertificateStatus[] {
    return [...this.#workers.values()].map((w) => ({
      environment: w.target.environment,
      hosts: w.target.hosts,
      ...(w.cert ? { notAfter: w.cert.notAfter } : {}),
      consecutiveFailures: w.consecutiveFailures,
      failuresTotal: w.failuresTotal,
    }));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#workers.values()].map((w) => this.#retire(w)));
    this.#workers.clear();
  }

  async #retire(worker: Worker): Promise<void> {
    worker.stop.abort();
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_WAIT_MS);
    });
    await Promise.race([worker.done, bounded]);
    clearTimeout(timer);
  }

  async #run(worker: Worker): Promise<void> {
    const signal = worker.stop.signal;
    while (!signal.aborted) {
      const due =
        worker.consecutiveFailures > 0
          ? worker.retryAt
          : worker.cert
            ? renewalDueAt(worker.cert.notBefore, worker.cert.notAfter)
            : this.#clock.now();
      const wait = due - this.#clock.now();
      if (wait > 0) {
        try {
          await this.#clock.sleep(Math.min(wait, MAX_SLEEP_MS), signal);
        } catch {
          return;
        }
        continue;
      }
      const attempt = this.#orders.then(() => (signal.aborted ? undefined : this.#attempt(worker)));
      this.#orders = attempt.catch(() => {});
      await attempt;
    }
  }

  /** One order for the worker's environment; failures are counted and scheduled, never thrown. */
  async #attempt(worker: Worker): Promise<void> {
    const { target } = worker;
    const renewal = worker.cert !== undefined;
    const log = this.#log.child({ environment: target.environment, hosts: target.hosts });
    log.info(
      { directory: target.directory },
      renewal ? 'renewing the certificate' : 'ordering a certificate',
    );
    let cert: ServedCertificate;
    try {
      cert = await this.#order(target, log);
    } catch (err) {
      await this.#failed(worker, (err as Error).message, log);
      return;
    }
    worker.cert = cert;
    worker.standIn = undefined;
    worker.consecutiveFailures = 0;
    const validUntil = new Date(cert.notAfter).toISOString();
    const renewAt = new Date(renewalDueAt(cert.notBefore, cert.notAfter)).toISOString();
    log.info({ validUntil, renewAt }, renewal ? 'certificate renewed' : 'certificate issued');
    // The certificate is served from memory from here on; a store that cannot keep it only means
    // that a restart orders again.
    try {
      await this.#opts.store.acme.putCertificate({
        service: this.#opts.service,
        environment: target.environment,
        directory: target.directory,
        hosts: target.hosts,
        certPem: cert.cert,
        key: this.#opts.sealer.seal(certificateKeyAddress(this.#opts.service, target.environment), cert.key),
        notBefore: new Date(cert.notBefore).toISOString(),
        notAfter: validUntil,
      });
    } catch (err) {
      log.error({ err }, 'could not store the new certificate: a restart will order another one');
    }
    await this.#event(target.environment, renewal ? 'certificate.renewed' : 'certificate.issued', {
      message: `${renewal ? 'renewed' : 'obtained'} the certificate of ${target.hosts.join(', ')} through ACME, valid until ${validUntil}; renewal from ${renewAt}`,
      data: { hosts: target.hosts, notAfter: validUntil, renewAt },
    });
    try {
      await this.#opts.onChange?.(target.environment);
    } catch (err) {
      log.error(
        { err },
        'could not hand the new certificate to the listeners; it is used with their next update',
      );
    }
  }

  /** Places the order with the stored account (registering one when there is none that opens). */
  async #order(target: AcmeTarget, log: Logger): Promise<ServedCertificate> {
    if (target.directoryCa !== undefined) trustDirectory(target.directory, target.directoryCa);
    const stored = await this.#opts.store.acme.account(target.directory, target.email);
    const accountWhere = accountKeyAddress(target.directory, target.email);
    const accountKey = stored && openKey(this.#opts.sealer, accountWhere, stored.key);
    if (stored && accountKey === undefined)
      log.warn('the stored ACME account key does not open with this master key: registering a new account');
    const result = await orderCertificate({
      directory: target.directory,
      email: target.email,
      hosts: target.hosts,
      ...(stored && accountKey !== undefined
        ? { account: { keyPem: accountKey, url: stored.accountUrl } }
        : {}),
      responder: this.#opts.responder,
      ...(this.#opts.poll ? { pollMinMs: this.#opts.poll.minMs, pollMaxMs: this.#opts.poll.maxMs } : {}),
    });
    if (stored?.accountUrl !== result.account.url || accountKey !== result.account.keyPem) {
      await this.#opts.store.acme.putAccount({
        directory: target.directory,
        email: target.email,
        accountUrl: result.account.url,
        key: this.#opts.sealer.seal(accountWhere, result.account.keyPem),
      });
    }
    return servedCertificate(target.hosts, result.certPem, result.keyPem);
  }

  async #failed(worker: Worker, reason: string, log: Logger): Promise<void> {
    const { target } = worker;
    worker.consecutiveFailures++;
    worker.failuresTotal++;
    const delay = retryDelay(
      worker.consecutiveFailures,
      this.#opts.retry ?? DEFAULT_RETRY,
      this.#opts.random,
    );
    worker.retryAt = this.#clock.now() + delay;
    const still = worker.cert
      ? `still serving the certificate valid until ${new Date(worker.cert.notAfter).toISOString()}`
      : 'no certificate to serve yet';
    const retryAt = new Date(worker.retryAt).toISOString();
    log.warn(
      { reason, failures: worker.consecutiveFailures, retryAt },
      `the ACME order failed; ${still}; retrying at ${retryAt}`,
    );
    await this.#event(target.environment, 'certificate.failed', {
      message: `the ACME order for ${target.hosts.join(', ')} failed (${worker.consecutiveFailures} in a row): ${reason}; ${still}; next attempt at ${retryAt}`,
      data: { hosts: target.hosts, reason, failures: worker.consecutiveFailures, retryAt },
    });
  }

  async #event(environment: string, type: string, e: { message: string; data: Record<string, unknown> }) {
    try {
      await this.#opts.store.events.append({
        service: this.#opts.service,
        environment,
        instance: null,
        version: null,
        type,
        message: e.message,
        data: e.data,
      });
    } catch (err) {
      this.#log.warn({ err, environment, type }, 'could not record a certificate event');
    }
  }
}

function signatureOf(t: AcmeTarget): string {
  return JSON.stringify([t.directory, t.email, [...t.hosts].sort(), t.directoryCa ?? '']);
}
