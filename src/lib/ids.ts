import { randomBytes } from 'node:crypto';

/** Sortable, unique id with a prefix: rel_<time base36><random hex>. */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
}

export function shortId(): string {
  return randomBytes(3).toString('hex');
}
