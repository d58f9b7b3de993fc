// `runtime:` and the container fields of `run:`: what a valid file gives, and the
// precise error of every way of writing them wrong.
import { describe, expect, it } from 'vitest';
import { imageOfVersion, isImageTag, parseImageReference, pinImage } from '../src/config/image-ref.ts';
import { ConfigError, engineAddress, formatIssue, parseConfig } from '../src/config/index.ts';

const DOCKER = `service: shop-api
runtime:
  docker:
    host: unix:///run/podman/podman.sock
    network: bridge
    pull: always
    registries:
      - { host: "127.0.0.1:5000", username: ci, password: "\${secret:REGISTRY_PASSWORD}" }
run:
  image: 127.0.0.1:5000/shop-api
  port: 8000
  command: [gunicorn, -k, uvicorn.workers.UvicornWorker, main:app]
  resources: { cpus: 1.5, memory: 512MB }
environments:
  staging: { listen: 127.0.0.1:8081 }
`;

function problemsOf(yaml: string): string[] {
  try {
    parseConfig(yaml, 'gantry.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map(formatIssue);
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

/** A file with `runtime` and `run` as given (each a YAML flow value) and one environment. */
function file(runtime: string | undefined, run: string): string {
  return `service: shop-api
${runtime === undefined ? '' : `runtime: ${runtime}\n`}run: ${run}
environments:
  staging: { listen: 127.0.0.1:8081 }
`;
}

describe('runtime: docker', () => {
  it('reads the documented example (docs/containers.md)', () => {
    const { config } = parseConfig(DOCKER, 'gantry.yaml');
    expect(config.runtime).toEqual({
      type: 'docker',
      docker: {
        host: 'unix:///run/podman/podman.sock',
        network: 'bridge',
        pull: 'always',
        registries: [{ host: '127.0.0.1:5000', username: 'ci', password: `\${secret:REGISTRY_PASSWORD}` }],
      },
    });
    expect(config.run).toMatchObject({
      image: '127.0.0.1:5000/shop-api',
      port: 8000,
      command: ['gunicorn', '-k', 'uvicorn.workers.UvicornWorker', 'main:app'],
      resources: { cpus: 1.5, memory: 512 * 1024 ** 2 },
    });
  });

  it('defaults to the process runtime, and `runtime: docker` alone takes every docker default', () => {
    expect(parseConfig(file(undefined, '{ command: node server.js }'), 'g.yaml').config.runtime).toEqual({
      type: 'process',
    });
    const docker = parseConfig(file('docker', '{ image: shop-api, port: 8000 }'), 'g.yaml').config;
    expect(docker.runtime).toEqual({
      type: 'docker',
      docker: { network: 'bridge', pull: 'if-not-present', registries: [] },
    });
    expect(docker.run.command).toBeUndefined();
    if (docker.runtime.type !== 'docker') throw new Error('expected runtime docker');
    expect(engineAddress(docker.runtime.docker, {})).toBe('unix:///var/run/docker.sock');
    expect(engineAddress(docker.runtime.docker, { DOCKER_HOST: 'tcp://127.0.0.1:2375' })).toBe(
      'tcp://127.0.0.1:2375',
    );
    expect(
      engineAddress({ ...docker.runtime.docker, host: 'unix:///x.sock' }, { DOCKER_HOST: 'tcp://h:1' }),
    ).toBe('unix:///x.sock');
    expect(
      parseConfig(file('{ docker: {} }', '{ image: shop-api, port: 8000 }'), 'g.yaml').config.runtime,
    ).toEqual(docker.runtime);
  });

  it('takes every engine address the driver reaches', () => {
    for (const host of [
      'unix:///run/podman/podman.sock',
      'tcp://127.0.0.1:2375',
      'http://[::1]:2375',
      'https://engine.example.com',
      'https://engine.example.com:2376/',
    ]) {
      const { config } = parseConfig(
        file(`{ docker: { host: "${host}" } }`, '{ image: shop-api, port: 80 }'),
        'g.yaml',
      );
      expect(config.runtime.type === 'docker' && config.runtime.docker.host).toBe(host);
    }
  });

  const cases: Array<{ name: string; yaml: string; issues: string[] }> = [
    {
      name: 'an image with the process runtime',
      yaml: file(undefined, '{ image: shop-api }'),
      issues: [
        'gantry.yaml:2:8 run.image: `image` needs `runtime: docker` at the top of the file (the default runtime, process, runs `command` in the artifact directory)',
      ],
    },
    {
      name: 'docker without image or port',
      yaml: file('docker', '{ command: [serve] }'),
      issues: [
        'gantry.yaml:3:6 run: `runtime: docker` needs `port`: the port the service listens on inside the container, like 8000',
        'gantry.yaml:3:6 run: `runtime: docker` runs images: set `image` to the repository, like registry.example.com/shop-api (a version V runs image:V)',
      ],
    },
    {
      name: 'docker with a shell line as command',
      yaml: file('docker', '{ image: shop-api, port: 8000, command: "gunicorn main:app" }'),
      issues: [
        "gantry.yaml:3:46 run.command: with `runtime: docker`, write the command as a list of arguments, like [gunicorn, main:app]: it replaces the image's CMD and no shell runs it",
      ],
    },
    {
      name: 'process runtime with a list command, a port and resources',
      yaml: file('process', '{ command: [node, server.js], port: 8000, resources: { cpus: 1 } }'),
      issues: [
        'gantry.yaml:3:17 run.command: a list of arguments is for `runtime: docker`; the process runtime runs one shell line, like `node server.js`',
        'gantry.yaml:3:36 run.port: `port` is the port inside a container (`runtime: docker`); a process gets its port in $PORT (see `port_env`)',
        'gantry.yaml:3:48 run.resources: `resources` limits containers (`runtime: docker`); the process runtime does not enforce limits',
      ],
    },
    {
      name: 'an image with a tag',
      yaml: file('docker', '{ image: "registry.local/shop-api:latest", port: 8000 }'),
      issues: [
        'gantry.yaml:3:15 run.image: expected the repository without a tag or digest, like registry.local/shop-api: each version is a tag of it (or pass --image REF to a release)',
      ],
    },
    {
      name: 'an image that is no reference',
      yaml: file('docker', '{ image: "Registry Local/Shop", port: 8000 }'),
      issues: [
        'gantry.yaml:3:15 run.image: expected an image repository, like registry.example.com/shop-api or 127.0.0.1:5000/shop-api (lowercase path)',
      ],
    },
    {
      name: 'a port out of range and empty resources',
      yaml: `${file('docker', '{ image: shop-api, port: 70000, resources: {} }')}checks: {}
`,
      issues: [
        'gantry.yaml:3:31 run.port: expected a port number from 1 to 65535',
        'gantry.yaml:3:49 run.resources: set `cpus`, `memory` or both, or remove `resources`',
      ],
    },
    {
      name: 'too little memory and zero CPUs',
      yaml: file('docker', '{ image: shop-api, port: 80, resources: { cpus: 0, memory: 1MB } }'),
      issues: [
        'gantry.yaml:3:54 run.resources.cpus: expected a number of CPUs greater than 0, like 0.5 or 2',
        'gantry.yaml:3:65 run.resources.memory: expected at least 6MB (the engines refuse less)',
      ],
    },
    {
      name: 'an engine address with a path',
      yaml: `service: shop-api
runtime: { docker: { host: "https://engine.local:2376/v1.41" } }
run: { image: shop-api, port: 8000 }
environments:
  staging: { listen: 127.0.0.1:8081 }
`,
      issues: [
        'gantry.yaml:2:28 runtime.docker.host: expected the engine address, like unix:///var/run/docker.sock, unix:///run/podman/podman.sock, tcp://127.0.0.1:2375 or https://engine.example.com:2376',
      ],
    },
    {
      name: 'a registry listed twice',
      yaml: `service: shop-api
runtime:
  docker:
    registries:
      - { host: registry.local, username: ci, password: "\${secret:PW}" }
      - { host: registry.local, username: bot, password: "\${secret:PW2}" }
run: { image: registry.local/shop-api, port: 8000 }
environments:
  staging: { listen: 127.0.0.1:8081 }
`,
      issues: [
        'gantry.yaml:6:17 runtime.docker.registries[1].host: registry registry.local is listed twice: keep one entry per host',
      ],
    },
    {
      name: 'an unknown runtime',
      yaml: file('kubernetes', '{ command: node server.js }'),
      issues: [
        'gantry.yaml:2:10 runtime: expected `process`, `docker` or `{ docker: { host, network, pull, registries } }`',
      ],
    },
    {
      name: 'docker settings written wrong',
      yaml: `service: shop-api
runtime:
  docker:
    host: /var/run/docker.sock
    pull: sometimes
    netwrk: host
    registries:
      - { host: "https://registry.local", username: ci, password: hunter2 }
      - { host: registry.local, username: "\${secret:USER}", password: "\${secret:PW}" }
      - { host: registry.other, username: ci, password: "\${secret:bad name}" }
run: { image: shop-api, port: 8000 }
environments:
  staging: { listen: 127.0.0.1:8081 }
`,
      issues: [
        'gantry.yaml:4:11 runtime.docker.host: expected the engine address, like unix:///var/run/docker.sock, unix:///run/podman/podman.sock, tcp://127.0.0.1:2375 or https://engine.example.com:2376',
        'gantry.yaml:5:11 runtime.docker.pull: expected one of if-not-present, always',
        "gantry.yaml:6:5 runtime.docker.netwrk: unknown key 'netwrk' (did you mean 'network'?)",
        'gantry.yaml:8:17 runtime.docker.registries[0].host: expected a registry host, like registry.example.com or 127.0.0.1:5000 (no scheme, no path)',
        `gantry.yaml:9:43 runtime.docker.registries[1].username: \`\${secret:…}\` references are allowed only in secret fields (triggers.github.secret, smtp.password, runtime.docker.registries[].password, and a notify channel's webhook_url, routing_key, url, secret or headers)`,
        `gantry.yaml:10:57 runtime.docker.registries[2].password: expected a secret reference like \${secret:NAME}, where NAME has letters, digits and _ and does not start with a digit`,
      ],
    },
  ];

  for (const c of cases) {
    it(`rejects ${c.name}`, () => {
      expect(problemsOf(c.yaml)).toEqual(c.issues);
    });
  }
});

describe('image references', () => {
  it('splits registry, repository, tag and digest', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImageReference('127.0.0.1:5000/shop-api:v1.4.2')).toEqual({
      repository: '127.0.0.1:5000/shop-api',
      registry: '127.0.0.1:5000',
      tag: 'v1.4.2',
    });
    expect(parseImageReference(`registry.local/team/api@${digest}`)).toEqual({
      repository: 'registry.local/team/api',
      registry: 'registry.local',
      digest,
    });
    expect(parseImageReference('localhost/api:1')).toMatchObject({ registry: 'localhost', tag: '1' });
    expect(parseImageReference('team/api')).toEqual({ repository: 'team/api' });
    expect(parseImageReference('Team/api')).toBeUndefined();
    expect(parseImageReference('api:')).toBeUndefined();
    expect(parseImageReference('api@sha256:short')).toBeUndefined();
    expect(parseImageReference(`a/${'b'.repeat(300)}`)).toBeUndefined();
  });

  it('makes the image of a version and pins it by digest', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    expect(imageOfVersion('127.0.0.1:5000/shop-api', 'v1.2.3')).toBe('127.0.0.1:5000/shop-api:v1.2.3');
    expect(pinImage('127.0.0.1:5000/shop-api:v1.2.3', digest)).toBe(`127.0.0.1:5000/shop-api@${digest}`);
    expect(isImageTag('v1.2.3')).toBe(true);
    expect(isImageTag('feature/x')).toBe(false);
    expect(isImageTag('.hidden')).toBe(false);
  });
});
