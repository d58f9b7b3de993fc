// `runtime:` (what runs instances: local processes, or containers through the Docker Engine API)
// and the container fields of `run:` (image, port, command as argv, resources).
// Rules tying `run` to `runtime` live in runtime-rules.ts, which reads the raw file.
import { z } from 'zod';
import {
  DEFAULT_DOCKER_HOST,
  DEFAULT_DOCKER_NETWORK,
  DEFAULT_DOCKER_PULL,
  DOCKER_PULL_POLICIES,
  MIN_CONTAINER_MEMORY,
} from './defaults.ts';
import { enumOf, expecting, intIn, list, mapping, secretText, size, text, textMatching } from './fields.ts';
import { parseImageReference } from './image-ref.ts';
import type { DockerRuntimeConfig, RuntimeConfig } from './types.ts';
import { formatSize } from './units.ts';

/** What the docker driver reaches: a UNIX socket by absolute path, or HTTP(S) at host[:port]. */
const ENGINE_ADDRESS =
  /^(unix:\/\/\/\S+|(tcp|http|https):\/\/([^\s/:[\]]+|\[[0-9a-fA-F:]+\])(:\d{1,5})?\/?)$/;
const REGISTRY_HOST =
  /^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(:\d{1,5})?$/;
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

const registrySchema = mapping({
  host: textMatching(
    REGISTRY_HOST,
    'expected a registry host, like registry.example.com or 127.0.0.1:5000 (no scheme, no path)',
  ),
  username: text('a user name'),
  password: secretText('a password').meta({
    description: `The password or token; write it as a reference like \${secret:REGISTRY_PASSWORD}.`,
  }),
});

const dockerSchema = mapping({
  host: textMatching(
    ENGINE_ADDRESS,
    'expected the engine address, like unix:///var/run/docker.sock, unix:///run/podman/podman.sock, tcp://127.0.0.1:2375 or https://engine.example.com:2376',
  )
    .optional()
    .meta({
      description:
        'The Docker Engine API (Docker, or `podman system service`). Default: $DOCKER_HOST, else unix:///var/run/docker.sock.',
    }),
  network: textMatching(NETWORK_NAME, 'expected bridge, host or the name of a network, like shop-net')
    .default(DEFAULT_DOCKER_NETWORK)
    .meta({
      description:
        "bridge: each container's run.port is published on 127.0.0.1:<free port>; host: containers share the host's network; any other name: that engine network.",
    }),
  pull: enumOf(DOCKER_PULL_POLICIES).default(DEFAULT_DOCKER_PULL).meta({
    description: 'if-not-present: pull only images the engine lacks; always: pull at every release.',
  }),
  registries: list(registrySchema)
    .default([])
    .meta({ description: 'Credentials for private registries, by host.' }),
}).superRefine((docker, ctx) => {
  const seen = new Set<string>();
  docker.registries.forEach((registry, i) => {
    if (seen.has(registry.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['registries', i, 'host'],
        message: `registry ${registry.host} is listed twice: keep one entry per host`,
      });
    }
    seen.add(registry.host);
  });
});

const RUNTIME_MESSAGE = 'expected `process`, `docker` or `{ docker: { host, network, pull, registries } }`';

export const runtimeSchema = z
  .union(
    [
      z.enum(['process', 'docker'], { error: expecting(RUNTIME_MESSAGE) }),
      mapping({ docker: dockerSchema.prefault({}) }),
    ],
    { error: expecting(RUNTIME_MESSAGE) },
  )
  .transform((runtime): RuntimeConfig => {
    if (runtime === 'process') return { type: 'process' };
    if (runtime === 'docker') return { type: 'docker', docker: dockerSchema.parse({}) };
    return { type: 'docker', docker: runtime.docker };
  })
  .meta({
    description:
      'What runs the instances: `process` (default: local child processes) or `docker` (containers through the Docker Engine API, which Podman also serves).',
  });

/** `run.image`: a repository (the version is the tag), or a repository with a fixed tag. */
export function imageRepository() {
  return text('an image repository')
    .superRefine((value, ctx) => {
      const parsed = parseImageReference(value);
      if (parsed === undefined) {
        ctx.addIssue({
          code: 'custom',
          message:
            'expected an image repository, like registry.example.com/shop-api or 127.0.0.1:5000/shop-api (lowercase path)',
        });
      } else if (parsed.tag !== undefined || parsed.digest !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `expected the repository without a tag or digest, like ${parsed.repository}: each version is a tag of it (or pass --image REF to a release)`,
        });
      }
    })
    .meta({
      description:
        'Container runtime: the repository; a version V runs image:V unless a release passes --image. Needs `runtime: docker`.',
    });
}

/** `run.command`: a shell line (process runtime) or a list of arguments (docker: replaces CMD). */
export function runCommand() {
  const argv = list(text('an argument')).min(1, { error: 'expected at least one argument' });
  return z
    .union([text('a shell command'), argv], {
      error: expecting('expected a shell command line, or a list of arguments with runtime docker'),
    })
    .meta({
      description:
        "Process runtime: the command line run by /bin/sh -c in the instance's private copy of the version's artifact directory (like a Procfile line), so $PORT expands. Docker runtime: a list of arguments that replaces the image's CMD (no shell).",
    });
}

export function containerPort() {
  return intIn(1, 65535, 'expected a port number from 1 to 65535').meta({
    description: 'Container runtime: the port the service listens on inside the container.',
  });
}

export const resourcesSchema = mapping({
  cpus: z
    .number({ error: expecting('expected a number of CPUs, like 0.5 or 2') })
    .positive({ error: 'expected a number of CPUs greater than 0, like 0.5 or 2' })
    .max(1024, { error: 'expected at most 1024 CPUs' })
    .optional(),
  memory: size()
    .refine((bytes) => bytes >= MIN_CONTAINER_MEMORY, {
      error: `expected at least ${formatSize(MIN_CONTAINER_MEMORY)} (the engines refuse less)`,
    })
    .optional(),
})
  .superRefine((r, ctx) => {
    if (r.cpus === undefined && r.memory === undefined) {
      ctx.addIssue({ code: 'custom', message: 'set `cpus`, `memory` or both, or remove `resources`' });
    }
  })
  .meta({ description: 'Container runtime: limits of each container (memory like 512MB).' });

/** The Docker Engine API address: runtime.docker.host, else $DOCKER_HOST, else DEFAULT_DOCKER_HOST. */
export function engineAddress(docker: DockerRuntimeConfig, env: NodeJS.ProcessEnv): string {
  return docker.host ?? (env.DOCKER_HOST || DEFAULT_DOCKER_HOST);
}
