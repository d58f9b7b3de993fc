// What `gantry init` reads from a project's Dockerfile: that there is one (so each version can be
// an image, runtime docker), and the port its final stage EXPOSEs (run.port).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DockerfileFacts } from './types.ts';

export const DOCKERFILE = 'Dockerfile';

/** Ports a service listens on in a container when its Dockerfile says nothing, by stack. */
export const GUESSED_CONTAINER_PORT = { node: 3000, python: 8000, other: 8080 } as const;

/** The first port the last stage EXPOSEs (`EXPOSE 8000`, `EXPOSE 8000/tcp`), if a number. */
export function exposedPort(text: string): number | undefined {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim());
  let port: number | undefined;
  for (const line of lines) {
    if (/^FROM\s/i.test(line)) port = undefined; // a later stage starts over
    const match = /^EXPOSE\s+(\d+)(?:\/tcp)?(?:\s|$)/i.exec(line);
    if (match && port === undefined) {
      const value = Number(match[1]);
      if (value >= 1 && value <= 65535) port = value;
    }
  }
  return port;
}

export async function readDockerfile(dir: string): Promise<DockerfileFacts | undefined> {
  const text = await readFile(path.join(dir, DOCKERFILE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const port = exposedPort(text);
  return port === undefined ? {} : { exposedPort: port };
}
