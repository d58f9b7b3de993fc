// Service and version names become directory names under the data dir, so only a safe
// alphabet is accepted, and '.'/'..' never are.
import { GantryError } from '../lib/errors.ts';

const VERSION_RE = /^[A-Za-z0-9._+-]{1,128}$/;
const SERVICE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function assertVersionName(version: string): void {
  if (!VERSION_RE.test(version) || version === '.' || version === '..') {
    throw new GantryError(
      'BAD_REQUEST',
      `version ${JSON.stringify(version)} is not a valid version name: use 1 to 128 characters from A-Z a-z 0-9 . _ + - (and not "." or "..")`,
      { hint: 'Name versions like v1.4.2 or a commit SHA.' },
    );
  }
}

export function assertServiceName(service: string): void {
  if (!SERVICE_RE.test(service)) {
    throw new GantryError(
      'BAD_REQUEST',
      `service ${JSON.stringify(service)} is not a valid service name: use 1 to 128 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit`,
      { hint: 'Fix the `service` key of gantry.yaml.' },
    );
  }
}
