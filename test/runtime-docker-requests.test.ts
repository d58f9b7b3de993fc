// The docker runtime's pure parts, by equality: the create request sent to the engine, labels,
// image references and digests, pull credentials, engine addresses, stats arithmetic.
import { describe, expect, it } from 'vitest';
import { parseEngineAddress, readDockerOptions } from '../src/runtime/docker/options.ts';
import {
  buildCreateRequest,
  containerCommand,
  digestFor,
  pinnedReference,
  pullAuth,
  registryHost,
} from '../src/runtime/docker/requests.ts';
import { cpuPercentBetween, cpuReading, memoryInUse } from '../src/runtime/docker/stats.ts';
import type { InstanceSpec } from '../src/runtime/driver.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

function spec(over: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    id: 'shop-production-v2-1',
    service: 'shop',
    environment: 'production',
    version: 'v2',
    artifact: { kind: 'image', image: '127.0.0.1:5000/shop:v2', digest: DIGEST },
    env: { DATABASE_URL: 'postgres://u:hunter2@db/shop' },
    portEnv: 'PORT',
    stopTimeoutMs: 10_000,
    ...over,
  };
}

describe('buildCreateRequest', () => {
  it('bridge: run.port published on loopback, secrets in Env only, labels, limits, data mount', () => {
    const req = buildCreateRequest(
      spec({
        containerPort: 8000,
        command: ['gunicorn', 'main:app'],
        dataDir: '/srv/gantry/data/production',
        resources: { cpus: 1.5, memoryBytes: 512 * 1024 * 1024 },
      }),
      { hostPort: 41234, owner: 'f00d', network: 'bridge', image: `127.0.0.1:5000/shop@${DIGEST}` },
    );
    expect(req).toEqual({
      name: 'gantry-shop-production-v2-1',
      Image: `127.0.0.1:5000/shop@${DIGEST}`,
      Cmd: ['gunicorn', 'main:app'],
      Env: [
        'DATABASE_URL=postgres://u:hunter2@db/shop',
        'PORT=8000',
        'GANTRY_DATA_DIR=/var/lib/gantry/data',
        'GANTRY_INSTANCE_ID=shop-production-v2-1',
        'GANTRY_SERVICE=shop',
        'GANTRY_ENVIRONMENT=production',
        'GANTRY_VERSION=v2',
      ],
      Labels: {
        'gantry.service': 'shop',
        'gantry.environment': 'production',
        'gantry.version': 'v2',
        'gantry.instance': 'shop-production-v2-1',
        'gantry.owner': 'f00d',
      },
      ExposedPorts: { '8000/tcp': {} },
      HostConfig: {
        NetworkMode: 'bridge',
        PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '41234' }] },
        Binds: ['/srv/gantry/data/production:/var/lib/gantry/data'],
        NanoCpus: 1_500_000_000,
        Memory: 536_870_912,
        RestartPolicy: { Name: 'no' },
      },
    });
    expect(JSON.stringify(req.Labels)).not.toContain('hunter2');
  });

  it('host network: the service listens on the host port itself, nothing is published', () => {
    const req = buildCreateRequest(spec({ containerPort: 8000 }), {
      hostPort: 41234,
      owner: 'f00d',
      network: 'host',
      image: 'x@sha256:1',
    });
    expect(req.Env).toContain('PORT=41234');
    expect(req.ExposedPorts).toBeUndefined();
    expect(req.HostConfig).toEqual({ NetworkMode: 'host', RestartPolicy: { Name: 'no' } });
    expect(req.Cmd).toBeUndefined();
  });

  it('a named network publishes like bridge; without run.port the container listens on the host port', () => {
    const req = buildCreateRequest(spec(), {
      hostPort: 41234,
      owner: 'f00d',
      network: 'shop-net',
      image: 'x',
    });
    expect(req.HostConfig.NetworkMode).toBe('shop-net');
    expect(req.HostConfig.PortBindings).toEqual({
      '41234/tcp': [{ HostIp: '127.0.0.1', HostPort: '41234' }],
    });
    expect(req.Env).toContain('PORT=41234');
  });
});

describe('containerCommand', () => {
  it.each([
    ['an argv replaces CMD', ['node', 'server.js'], ['node', 'server.js']],
    ['a string runs through /bin/sh', 'node server.js', ['/bin/sh', '-c', 'node server.js']],
    ['none keeps the image CMD', undefined, undefined],
    ['empty keeps the image CMD', [], undefined],
  ])('%s', (_name, command, expected) => {
    expect(containerCommand(command as InstanceSpec['command'])).toEqual(expected);
  });
});

describe('image references', () => {
  it('pins the repository to the digest, whatever the tag', () => {
    expect(pinnedReference('127.0.0.1:5000/shop:v2', DIGEST)).toBe(`127.0.0.1:5000/shop@${DIGEST}`);
    expect(pinnedReference(`127.0.0.1:5000/shop@${DIGEST}`, DIGEST)).toBe(`127.0.0.1:5000/shop@${DIGEST}`);
  });

  it('names the registry host as Docker reads it', () => {
    expect(registryHost('127.0.0.1:5000/shop:v1')).toBe('127.0.0.1:5000');
    expect(registryHost('registry.example.com/team/shop')).toBe('registry.example.com');
    expect(registryHost('localhost/shop')).toBe('localhost');
    expect(registryHost('team/shop:v1')).toBe('docker.io');
    expect(registryHost('node:24')).toBe('docker.io');
    expect(() => registryHost('Not An Image')).toThrow(/"Not An Image" is not an image reference/);
  });

  it('finds the digest of the repository among RepoDigests', () => {
    const other = `sha256:${'cd'.repeat(32)}`;
    const repoDigests = [`127.0.0.1:5000/other@${other}`, `127.0.0.1:5000/shop@${DIGEST}`];
    expect(digestFor('127.0.0.1:5000/shop:v2', repoDigests)).toBe(DIGEST);
    expect(digestFor('127.0.0.1:5000/missing:v2', repoDigests)).toBeUndefined();
    expect(digestFor('node:24', [`docker.io/library/node@${other}`])).toBe(other);
    expect(digestFor('127.0.0.1:5000/shop:v2', undefined)).toBeUndefined();
  });

  it('carries the credentials of the image registry only', () => {
    const registries = [
      { host: 'registry.example.com', username: 'ci', password: 'ci-password' },
      { host: '127.0.0.1:5000', username: 'local', password: 'pw' },
    ];
    expect(pullAuth('registry.example.com/shop:v1', registries)?.username).toBe('ci');
    expect(pullAuth('127.0.0.1:5000/shop:v1', registries)?.username).toBe('local');
    expect(pullAuth('node:24', registries)).toBeUndefined();
  });
});

describe('engine options', () => {
  it.each([
    ['unix:///run/podman/podman.sock', { socketPath: '/run/podman/podman.sock' }],
    ['tcp://127.0.0.1:2375', { protocol: 'http', host: '127.0.0.1', port: 2375 }],
    ['tcp://docker.internal', { protocol: 'http', host: 'docker.internal', port: 2375 }],
    ['https://[::1]:2376/', { protocol: 'https', host: '::1', port: 2376 }],
  ])('%s', (host, expected) => {
    expect(parseEngineAddress(host)).toEqual(expected);
  });

  it('refuses what is no engine address, saying what to write', () => {
    expect(() => parseEngineAddress('/var/run/docker.sock')).toThrow(
      /unix:\/\/\/path\/to.sock or tcp:\/\/host:port/,
    );
    expect(() => parseEngineAddress('unix://relative.sock')).toThrow(/absolute socket path/);
  });

  it('defaults: $DOCKER_HOST, bridge, if-not-present, no registries', () => {
    expect(readDockerOptions(undefined, { DOCKER_HOST: 'unix:///run/podman/podman.sock' })).toEqual({
      host: 'unix:///run/podman/podman.sock',
      network: 'bridge',
      pull: 'if-not-present',
      registries: [],
    });
    expect(readDockerOptions({}, {}).host).toBe('unix:///var/run/docker.sock');
    expect(() => readDockerOptions({ pull: 'sometimes' }, {})).toThrow(/if-not-present or always/);
  });
});

describe('stats', () => {
  it('CPU is the share of one core between two readings; none from a single reading', () => {
    const a = cpuReading({ cpu_stats: { cpu_usage: { total_usage: 1_000_000_000 } } }, 0);
    const b = cpuReading({ cpu_stats: { cpu_usage: { total_usage: 1_500_000_000 } } }, 2_000_000_000);
    expect(cpuPercentBetween(undefined, a)).toBeNull();
    expect(cpuPercentBetween(a, b)).toBe(25);
    expect(cpuPercentBetween(b, a)).toBeNull();
    expect(cpuReading({}, 0)).toBeUndefined();
  });

  it('memory leaves out the page cache the kernel can drop (cgroup v1 and v2 names)', () => {
    expect(memoryInUse({ memory_stats: { usage: 100, stats: { inactive_file: 30 } } })).toBe(70);
    expect(memoryInUse({ memory_stats: { usage: 100, stats: { total_inactive_file: 40 } } })).toBe(60);
    expect(memoryInUse({ memory_stats: { usage: 100 } })).toBe(100);
    expect(memoryInUse({})).toBeNull();
  });
});
