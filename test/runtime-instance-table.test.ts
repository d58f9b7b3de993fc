// The bookkeeping both runtime drivers share (src/runtime/instance-table.ts), tested directly:
// id claims, the bound on remembered stopped instances, listeners that throw, ports in use.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/lib/log.ts';
import type {
  InstanceInfo,
  InstanceSpec,
  InstanceStatus,
  LogLine,
  RuntimeEvent,
} from '../src/runtime/driver.ts';
import { InstanceTable, STOPPED_KEPT, type TableInstance } from '../src/runtime/instance-table.ts';

function spec(id: string, port?: number): InstanceSpec {
  return {
    id,
    service: 'web',
    environment: 'prod',
    version: 'v1',
    artifact: { kind: 'directory', directory: '.' },
    env: {},
    portEnv: 'PORT',
    port,
    stopTimeoutMs: 1000,
  };
}

/** A stand-in instance: the table only reads its status, port and info, and asks it to stop. */
class Instance implements TableInstance {
  status: InstanceStatus = 'running';
  detached = false;
  readonly spec: InstanceSpec;
  readonly port: number;
  constructor(spec: InstanceSpec, port: number) {
    this.spec = spec;
    this.port = port;
  }
  info(): InstanceInfo {
    const { spec, status, port } = this;
    return {
      id: spec.id,
      spec,
      status,
      handle: null,
      host: '127.0.0.1',
      port,
      restarts: 0,
      startedAt: null,
      lastExit: null,
    };
  }
  recentLogs(limit = 10): LogLine[] {
    return [{ at: 1, stream: 'stdout' as const, line: `log of ${this.spec.id}` }].slice(0, limit);
  }
  async stop(): Promise<void> {
    this.status = 'stopped';
  }
  async detach(): Promise<void> {
    this.detached = true;
  }
}

function captured() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

function started(table: InstanceTable<Instance>, id: string, port = 40000): Instance {
  table.claimId(id);
  const inst = new Instance(spec(id), port);
  table.register(inst);
  table.releaseId(id);
  return inst;
}

describe('instance table', () => {
  it('refuses an id being started or still running, accepts it again once stopped', async () => {
    const table = new InstanceTable<Instance>('process', captured().logger);
    table.claimId('a');
    expect(() => table.claimId('a')).toThrow(
      'instance a already exists; stop it first or use a new instance id',
    );
    expect(table.inUse('a')).toBe(true);
    table.register(new Instance(spec('a'), 40001));
    table.releaseId('a');
    expect(() => table.claimId('a')).toThrow('already exists');
    await table.stop('a', 100);
    expect(table.inUse('a')).toBe(false);
    expect(table.get('a')?.status).toBe('stopped');
    expect(() => table.claimId('a')).not.toThrow();
  });

  it('names its runtime when closed and when an instance is unknown', async () => {
    const table = new InstanceTable<Instance>('docker', captured().logger);
    const inst = started(table, 'a');
    expect(() => table.mustGet('nope')).toThrow("instance nope is not run by this server's docker runtime");
    await table.close({ stopInstances: false, graceMs: 100 });
    expect(inst.detached).toBe(true);
    expect(inst.status).toBe('running');
    expect(() => table.claimId('b')).toThrow('the docker runtime is closed; no instance can be started');
  });

  it(`remembers the last ${STOPPED_KEPT} stopped instances and forgets older ones`, async () => {
    const table = new InstanceTable<Instance>('process', captured().logger);
    for (let i = 0; i <= STOPPED_KEPT; i++) started(table, `i${i}`);
    for (let i = 0; i <= STOPPED_KEPT; i++) await table.stop(`i${i}`, 100);
    expect(table.get('i0')).toBeUndefined();
    expect(table.recentLogs('i0')).toEqual([]);
    expect(table.get('i1')?.status).toBe('stopped');
    expect(table.recentLogs('i1')).toEqual([{ at: 1, stream: 'stdout', line: 'log of i1' }]);
    expect(table.list()).toHaveLength(STOPPED_KEPT);
    // Stopping an already stopped instance again does not count twice.
    await table.stop('i1', 100);
    started(table, 'j');
    await table.stop('j', 100);
    expect(table.get('i1')).toBeUndefined();
    expect(table.get('i2')?.status).toBe('stopped');
  });

  it('an instance started again under a stopped id leaves the stopped order', async () => {
    const table = new InstanceTable<Instance>('process', captured().logger);
    started(table, 'again');
    await table.stop('again', 100);
    started(table, 'again');
    for (let i = 0; i < STOPPED_KEPT - 1; i++) {
      started(table, `i${i}`);
      await table.stop(`i${i}`, 100);
    }
    await table.stop('again', 100);
    started(table, 'last');
    await table.stop('last', 100);
    // 'again' stopped second to last: had its first stop kept its place, it would be forgotten now.
    expect(table.get('again')?.status).toBe('stopped');
    expect(table.get('i0')).toBeUndefined();
  });

  it('a listener that throws is logged and the others still hear the event', () => {
    const { lines, logger } = captured();
    const table = new InstanceTable<Instance>('process', logger);
    const heard: RuntimeEvent[] = [];
    table.subscribe(() => {
      throw new Error('listener broke');
    });
    const unsubscribe = table.subscribe((e) => heard.push(e));
    const event: RuntimeEvent = { type: 'started', instance: new Instance(spec('a'), 1).info() };
    table.emit(event);
    expect(heard).toEqual([event]);
    expect(lines.join('')).toContain('runtime event listener failed');
    expect(lines.join('')).toContain('listener broke');
    unsubscribe();
    table.emit(event);
    expect(heard).toHaveLength(1);
  });

  it('picks a port no running or reserved instance holds, and keeps a given one', async () => {
    const table = new InstanceTable<Instance>('process', captured().logger);
    expect(await table.choosePort(spec('a', 4321))).toBe(4321);
    const first = await table.choosePort(spec('a'));
    table.reservePort(first);
    const second = await table.choosePort(spec('b'));
    expect(second).not.toBe(first);
    started(table, 'b', second);
    table.releasePort(first);
    for (let i = 0; i < 5; i++) expect(await table.choosePort(spec('c'))).not.toBe(second);
  });
});
