// Child processes of the benchmark: spawned with this Node, stopped by PID, and waited for until
// they print their port (or a TCP port accepts connections, for programs that print nothing).
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

export interface Child {
  proc: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    for (const c of children) c.kill('SIGKILL');
    process.exit(130);
  });
}
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Runs a Node script of this repo and waits for the `{"port":N}` line it prints. */
export async function startNodeChild(script: string, args: string[], timeoutMs = 20_000): Promise<Child> {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  track(proc);
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`${script} printed no port within ${timeoutMs} ms`)),
      timeoutMs,
    );
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with code ${code} before printing its port`));
    });
  });
  return { proc, port, stop: () => stopChild(proc) };
}

/** Runs any program and waits until 127.0.0.1:port accepts connections. */
export async function startProgram(
  cmd: string,
  args: string[],
  port: number,
  timeoutMs = 20_000,
): Promise<Child> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  track(proc);
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  proc.once('exit', () => {
    exited = true;
  });
  while (!(await accepts(port))) {
    if (exited) throw new Error(`${cmd} exited before listening on port ${port}`);
    if (Date.now() > deadline)
      throw new Error(`${cmd} did not listen on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, port, stop: () => stopChild(proc) };
}

/** A loopback port free right now (for programs that cannot report the port they got). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function track(proc: ChildProcess): void {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
}

function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}
