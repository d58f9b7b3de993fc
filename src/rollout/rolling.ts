// The rolling strategy: start the new version beside the old, wait until every new instance is
// ready, switch all traffic at once, drain and stop the old instances.
import type { RunContext } from './run-context.ts';

export async function runRolling(ctx: RunContext): Promise<void> {
  const { fleet } = ctx.deps;
  const rel = ctx.release;
  if (rel.state === 'pending' || rel.state === 'starting' || rel.state === 'verifying') {
    const plan = {
      ...ctx.plan,
      oldInstanceIds: currentInstanceIds(ctx),
      newInstanceIds: Array.from({ length: ctx.env.instances }, () =>
        fleet.newInstanceId(rel.environment, rel.version),
      ),
    };
    await ctx.to('starting', {
      message: `starting ${plan.newInstanceIds.length} instance(s) of ${rel.version}`,
      plan,
    });
    await ctx.startInstances(plan.newInstanceIds);
    const timeout = ctx.deps.config().config.health.startup_timeout;
    await ctx.to('verifying', {
      message: `waiting up to ${Math.round(timeout / 1000)} s for ${plan.newInstanceIds.length} instance(s) to become ready`,
    });
    const started = await ctx.verify(plan.newInstanceIds);
    if (ctx.signal.aborted) return;
    if (!started.ok) {
      const reason = ctx.control.abortRequested
        ? `aborted: ${ctx.control.abortRequested.reason}`
        : started.reason;
      await ctx.to(ctx.control.abortRequested ? 'aborted' : 'failed', {
        reason: ctx.control.abortRequested ? 'Aborted' : 'NotReady',
        message: `${rel.version} never became ready: ${reason}; ${rel.environment} keeps serving ${rel.previousVersion ?? 'nothing'}`,
      });
      return;
    }
    await switchTraffic(ctx);
  }
  // From here on (also when resumed after a restart) the new version is current: finish.
  await finishSwitch(ctx);
}

/** Moves the environment to the release's version: the one write that decides which version is current. */
export async function switchTraffic(ctx: RunContext): Promise<void> {
  const rel = ctx.release;
  await ctx.to('switching', {
    message: `moving traffic from ${rel.previousVersion ?? 'nothing'} to ${rel.version}`,
    setCurrentVersion: rel.version,
  });
  await ctx.deps.fleet.setServing(rel.environment, [
    { version: rel.version, weight: 100, instanceIds: ctx.plan.newInstanceIds },
  ]);
}

/** Drains and stops the old instances, then marks the release succeeded. */
export async function finishSwitch(ctx: RunContext): Promise<void> {
  const plan = ctx.plan;
  // Every other instance of the environment: those recorded in the plan and any started for the
  // old version after a restart.
  const others = ctx.deps.fleet.list(ctx.release.environment).map((m) => m.id);
  const old = [...new Set([...plan.oldInstanceIds, ...others])].filter(
    (id) => !plan.newInstanceIds.includes(id),
  );
  if (ctx.release.state !== 'draining') {
    await ctx.to('draining', { message: `draining and stopping ${old.length} old instance(s)` });
  }
  await ctx.deps.fleet.stop(old, { drain: true });
  await ctx.to('succeeded', {
    reason: 'Succeeded',
    message: `${ctx.release.environment} now serves ${ctx.release.version}`,
  });
}

/** Instances serving the environment now, and any others of it not part of another release. */
export function currentInstanceIds(ctx: RunContext): string[] {
  const { fleet } = ctx.deps;
  const env = ctx.release.environment;
  const serving = fleet.serving(env).flatMap((p) => p.instanceIds);
  const leftovers = fleet
    .list(env)
    .filter((m) => !serving.includes(m.id))
    .map((m) => m.id);
  return [...serving, ...leftovers];
}
