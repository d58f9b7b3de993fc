// Config reload (SIGHUP or POST /api/v1/config/reload): everything fallible happens before any
// live state is touched (alertmanager's reloader). The file is read and validated whole; if a
// section that shapes running processes and listeners changed, nothing is applied and the answer
// says which keys need a restart; otherwise the new config is swapped in and each part that
// watches it (alarm rules, synthetics, notification routes) re-reads it.
import { isDeepStrictEqual } from 'node:util';
import { loadConfigFileOffThread } from '../config/index.ts';
import type { GantryConfig, LoadedConfig } from '../config/types.ts';
import { GantryError } from '../lib/errors.ts';

/**
 * Sections applied live. Everything else (service, run, health, environments) needs a restart,
 * except the edge keys of an environment (HOT_ENVIRONMENT_KEYS).
 */
const HOT_SECTIONS = [
  'checks',
  'alarms',
  'synthetics',
  'logs',
  'notify',
  'smtp',
  'incidents',
  'triggers',
  'backups',
] as const;

/** Keys of an environment applied live: the data plane takes them with its next apply. */
const HOT_ENVIRONMENT_KEYS = ['tls', 'rate_limit', 'security_headers', 'limits'] as const;

export interface ReloadResult {
  file: string;
  /** Top-level sections whose content changed and were applied. */
  applied: string[];
}

export class ConfigHolder {
  #current: LoadedConfig;
  readonly #listeners: Array<(c: LoadedConfig) => void | Promise<void>> = [];
  readonly #checks: Array<(c: LoadedConfig) => void> = [];

  constructor(initial: LoadedConfig) {
    this.#current = initial;
  }

  get = (): LoadedConfig => this.#current;

  onReload(fn: (c: LoadedConfig) => void | Promise<void>): void {
    this.#listeners.push(fn);
  }

  /** A check a new config must pass before anything is swapped (it throws to refuse). */
  check(fn: (c: LoadedConfig) => void): void {
    this.#checks.push(fn);
  }

  async reload(): Promise<ReloadResult> {
    // Off the event loop: a large file would stall the API and the proxies. Throws ConfigError: nothing changes.
    return this.apply(await loadConfigFileOffThread(this.#current.file));
  }

  /** Throws, changing nothing, when `next` cannot be applied live; else the sections that would change. */
  verify(next: LoadedConfig): string[] {
    const cold = coldChanges(this.#current.config, next.config);
    if (cold.length > 0) {
      throw new GantryError(
        'CONFIG_RESTART_REQUIRED',
        `${next.file} changes ${cold.join(', ')}, which cannot be applied to a running server; nothing was changed`,
        { details: { keys: cold } },
      );
    }
    for (const check of this.#checks) check(next);
    const applied: string[] = HOT_SECTIONS.filter(
      (k) => !isDeepStrictEqual(this.#current.config[k], next.config[k]),
    );
    applied.push(...changedEdgeKeys(this.#current.config, next.config));
    return applied;
  }

  /** Swaps in a config read already (verified again first) and lets every part re-read it. */
  async apply(next: LoadedConfig): Promise<ReloadResult> {
    const applied = this.verify(next);
    const previous = this.#current;
    this.#current = next;
    try {
      for (const fn of this.#listeners) await fn(next);
    } catch (err) {
      // Applying failed half-way (say a new redirect port is taken): back to the old config,
      // applied again, so that what runs matches what the server reports.
      this.#current = previous;
      const undo = await this.#applyAll(previous);
      throw new GantryError(
        'CONFIG_RELOAD_FAILED',
        `${next.file} could not be applied (${(err as Error).message}); the previous configuration is back in force${undo ? `, though restoring it also failed: ${undo}` : ''}`,
        { details: { applied } },
      );
    }
    return { file: next.file, applied };
  }

  /** Runs every listener on `config`; the first error's message, if any (each listener still runs). */
  async #applyAll(config: LoadedConfig): Promise<string | undefined> {
    let first: string | undefined;
    for (const fn of this.#listeners) {
      try {
        await fn(config);
      } catch (err) {
        first ??= (err as Error).message;
      }
    }
    return first;
  }
}

/** Dotted keys outside the hot sections whose values differ (environments compared one by one). */
export function coldChanges(a: GantryConfig, b: GantryConfig): string[] {
  const out: string[] = [];
  for (const key of Object.keys({ ...a, ...b }) as Array<keyof GantryConfig>) {
    if ((HOT_SECTIONS as readonly string[]).includes(key)) continue;
    if (key === 'environments') {
      for (const env of new Set([...Object.keys(a.environments), ...Object.keys(b.environments)])) {
        const [x, y] = [a.environments[env], b.environments[env]];
        if (!isDeepStrictEqual(withoutEdge(x), withoutEdge(y))) out.push(`environments.${env}`);
      }
    } else if (!isDeepStrictEqual(a[key], b[key])) {
      out.push(key);
    }
  }
  return out;
}

function withoutEdge(env: GantryConfig['environments'][string] | undefined): object | undefined {
  if (!env) return env;
  const rest: Record<string, unknown> = { ...env };
  for (const k of HOT_ENVIRONMENT_KEYS) delete rest[k];
  return rest;
}

/** `environments.<env>.<key>` of the edge keys whose values differ, for environments in both. */
function changedEdgeKeys(a: GantryConfig, b: GantryConfig): string[] {
  const out: string[] = [];
  for (const [name, env] of Object.entries(b.environments)) {
    const before = a.environments[name];
    if (!before) continue;
    for (const k of HOT_ENVIRONMENT_KEYS) {
      if (!isDeepStrictEqual(before[k], env[k])) out.push(`environments.${name}.${k}`);
    }
  }
  return out;
}
