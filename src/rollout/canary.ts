// The canary strategy: a small share of real traffic goes to the new version while its requests
// are compared with the stable version's over the same windows. Each step passes, or the release
// rolls back by itself; a hard failure is caught within a fraction of a second, not at the end of
// an interval. Every step is written before traffic moves, so a restarted server resumes it.
import { analyze, conclusiveFailure, judgeInterval, stepDecision } from '../analysis/index.ts';
import type { Verdict } from '../analysis/types.ts';
import type { VerdictEventData } from '../api/types.ts';
import { runCheck } from '../checks/index.ts';
import type { CanaryStrategy } from '../config/types.ts';
import { currentInstanceIds, finishSwitch, switchTraffic } from './rolling.ts';
import type { RunContext } from './run-context.ts';

/** How often a step looks for a conclusive hard failure between analysis intervals. */
const FAST_CHECK_MS = 200;

type StepOutcome =
  | { kind: 'pass' }
  | { kind: 'promote' }
  | { kind: 'fail'; reason: string; message: string }
  | { kind: 'interrupted' };

export async function runCanary(ctx: RunContext, strategy: CanaryStrategy): Promise<void> {
  const rel = ctx.release;
  if (rel.state === 'switching' || rel.state === 'draining') return finishSwitch(ctx);
  if (rel.state === 'rolling_back')
    return rollBack(ctx, rel.reason ?? 'RolledBack', rel.message ?? 'rolling back');

  if (rel.state === 'pending' || rel.state === 'starting' || rel.state === 'verifying') {
    const first = strategy.steps[0]?.weight ?? 100;
    const count = Math.max(1, Math.min(ctx.env.instances, Math.ceil((ctx.env.instances * first) / 100)));
    const plan = {
      ...ctx.plan,
      oldInstanceIds: currentInstanceIds(ctx),
      newInstanceIds: Array.from({ length: count }, () =>
        ctx.deps.fleet.newInstanceId(rel.environment, rel.version),
      ),
      steps: strategy.steps.length,
      step: 0,
      weight: 0,
    };
    await ctx.to('starting', { message: `starting ${count} canary instance(s) of ${rel.version}`, plan });
    await ctx.startInstances(plan.newInstanceIds);
    await ctx.to('verifying', {
      message: `waiting for the canary instance(s) of ${rel.version} to become ready`,
    });
    const started = await ctx.verify(plan.newInstanceIds);
    if (ctx.signal.aborted) return;
    if (!started.ok) {
      const aborted = ctx.control.abortRequested;
      await ctx.to(aborted ? 'aborted' : 'failed', {
        reason: aborted ? 'Aborted' : 'NotReady',
        message: `${rel.version} never became ready: ${aborted ? `aborted: ${aborted.reason}` : started.reason}; ${rel.environment} keeps serving ${rel.previousVersion}`,
      });
      return;
    }
  } else if (!(await ensureCanaryRunning(ctx))) {
    return;
  }
  if (rel.state === 'paused') ctx.control.paused = true;

  if (ctx.release.state !== 'promoting') {
    for (let i = ctx.plan.step ?? 0; i < strategy.steps.length; i++) {
      const step = strategy.steps[i];
      if (!step || step.weight >= 100 || ctx.control.promoteRequested) break;
      const outcome = await runStep(ctx, strategy, i);
      if (outcome.kind === 'interrupted') return;
      if (outcome.kind === 'fail') return rollBack(ctx, outcome.reason, outcome.message);
      if (outcome.kind === 'promote') break;
    }
  }
  await promote(ctx);
}

/** After a restart: the canary's instances were adopted, or are started again. */
async function ensureCanaryRunning(ctx: RunContext): Promise<boolean> {
  const { fleet } = ctx.deps;
  const live = ctx.plan.newInstanceIds.filter((id) => fleet.get(id));
  if (live.length > 0) {
    await ctx.savePlan({ ...ctx.plan, newInstanceIds: live });
    return true;
  }
  const ids = [fleet.newInstanceId(ctx.release.environment, ctx.release.version)];
  await ctx.savePlan(
    { ...ctx.plan, newInstanceIds: ids },
    { type: 'canary.restart', message: 'starting the canary again after a restart' },
  );
  const started = await ctx.startAndVerify(ids);
  if (started.ok) return true;
  if (!ctx.signal.aborted)
    await rollBack(ctx, 'NotReady', `canary could not be started again: ${started.reason}`);
  return false;
}

async function runStep(ctx: RunContext, strategy: CanaryStrategy, index: number): Promise<StepOutcome> {
  const { fleet, metrics, clock } = ctx.deps;
  const rel = ctx.release;
  const step = strategy.steps[index];
  if (!step) return { kind: 'pass' };
  const analysis = strategy.analysis;
  const startedAt = clock.now();
  const stepEndsAt = step.pause != null ? new Date(startedAt + step.pause).toISOString() : null;
  const plan = {
    ...ctx.plan,
    step: index,
    steps: strategy.steps.length,
    weight: step.weight,
    stepStartedAt: new Date(startedAt).toISOString(),
  };
  const message = `step ${index + 1}/${strategy.steps.length}: ${step.weight} % of traffic to ${rel.version}`;
  const data = {
    step: index + 1,
    steps: strategy.steps.length,
    weight: step.weight,
    pauseMs: step.pause ?? null,
    stepEndsAt,
    checks: step.checks,
  };
  if (ctx.release.state === 'progressing' || ctx.release.state === 'paused') {
    await ctx.savePlan(plan, { type: 'canary.step', message, data });
  } else {
    await ctx.to('progressing', {
      message: `canary ${rel.version} takes traffic, analysed against ${rel.previousVersion} every ${analysis.interval / 1000} s`,
      plan,
    });
    await ctx.event('canary.step', message, data);
  }
  await fleet.setServing(rel.environment, pools(ctx, step.weight));

  for (const name of step.checks) {
    const failed = await runStepCheck(ctx, name, index + 1);
    if (failed) return failed;
  }

  let intervalStart = clock.now();
  let baselineFails = 0;
  for (;;) {
    if (ctx.signal.aborted) return { kind: 'interrupted' };
    const abort = ctx.control.abortRequested;
    if (abort) return { kind: 'fail', reason: 'Aborted', message: `aborted: ${abort.reason}` };
    if (ctx.control.promoteRequested) return { kind: 'promote' };
    const now = clock.now();
    const canaryStep = metrics.window(rel.environment, rel.version, startedAt, now);
    const hard = conclusiveFailure(canaryStep, analysis);
    if (hard) {
      const verdict = analyze({
        canary: canaryStep,
        baseline: baseline(ctx, startedAt, now),
        config: analysis,
      });
      await recordVerdict(ctx, {
        verdict: { ...verdict, phase: 'fail', summary: hard.message, checks: [hard, ...verdict.checks] },
        index,
        weight: step.weight,
        from: startedAt,
        to: now,
        stepEndsAt,
        decisive: true,
      });
      return {
        kind: 'fail',
        reason: 'AnalysisFailed',
        message: `canary failed at ${step.weight} %: ${hard.message}`,
      };
    }
    if (now - intervalStart >= analysis.interval) {
      const interval = analyze({
        canary: metrics.window(rel.environment, rel.version, intervalStart, now),
        baseline: baseline(ctx, intervalStart, now),
        config: analysis,
      });
      const cumulative = analyze({
        canary: canaryStep,
        baseline: baseline(ctx, startedAt, now),
        config: analysis,
      });
      const judged = judgeInterval({ interval, cumulative, baselineFails });
      baselineFails = judged.baselineFails;
      const { failing, verdict } = judged;
      const decision = ctx.control.paused
        ? { action: failing ? ('fail' as const) : ('wait' as const), reason: (failing ?? interval).summary }
        : stepDecision({
            pauseMs: step.pause ?? 0,
            startedAt,
            now,
            verdict,
            onInconclusive: analysis.on_inconclusive,
            ...(analysis.step_deadline != null ? { stepDeadlineMs: analysis.step_deadline } : {}),
          });
      const shown = failing ?? (decision.action === 'wait' ? interval : cumulative);
      await recordVerdict(ctx, {
        verdict: shown,
        index,
        weight: step.weight,
        from: intervalStart,
        to: now,
        stepEndsAt,
        decisive: decision.action !== 'wait',
      });
      if (decision.action === 'fail') {
        return {
          kind: 'fail',
          reason: 'AnalysisFailed',
          message: `canary failed at ${step.weight} %: ${decision.reason}`,
        };
      }
      if (decision.action === 'pass') return { kind: 'pass' };
      intervalStart = now;
    }
    await ctx.control.sleep(FAST_CHECK_MS, ctx.signal);
  }
}

async function runStepCheck(ctx: RunContext, name: string, step: number): Promise<StepOutcome | undefined> {
  const { config, fleet } = ctx.deps;
  const loaded = config();
  const check = loaded.config.checks[name];
  const target = ctx.plan.newInstanceIds.map((id) => fleet.get(id)).find((m) => m);
  if (!check || !target)
    return { kind: 'fail', reason: 'CheckFailed', message: `check ${name}: no canary instance to check` };
  const result = await runCheck(
    check,
    { url: `http://${target.info.host}:${target.info.port}` },
    {
      signal: ctx.signal,
      cwd: loaded.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    },
  );
  // A failing check quotes the instance's answer or output, which may hold a secret.
  const message = fleet.redact(result.message);
  await ctx.event('check', `check ${name} ${result.ok ? 'passed' : 'failed'}: ${message}`, {
    step,
    check: name,
    ok: result.ok,
    message,
  });
  return result.ok
    ? undefined
    : { kind: 'fail', reason: 'CheckFailed', message: `check ${name} failed: ${message}` };
}

function baseline(ctx: RunContext, from: number, to: number) {
  const stable = ctx.release.previousVersion;
  return stable ? ctx.deps.metrics.window(ctx.release.environment, stable, from, to) : null;
}

function pools(ctx: RunContext, weight: number) {
  const rel = ctx.release;
  return [
    { version: rel.previousVersion ?? '', weight: 100 - weight, instanceIds: stableIds(ctx) },
    { version: rel.version, weight, instanceIds: ctx.plan.newInstanceIds },
  ];
}

/**
 * The stable version's instances as the fleet has them now: after a restart they may be new
 * processes, not the ones recorded in the plan.
 */
function stableIds(ctx: RunContext): string[] {
  const rel = ctx.release;
  return ctx.deps.fleet
    .list(rel.environment)
    .filter((m) => m.version === rel.previousVersion && !ctx.plan.newInstanceIds.includes(m.id))
    .map((m) => m.id);
}

interface VerdictRecord {
  verdict: Verdict;
  /** 0-based step index. */
  index: number;
  weight: number;
  /** The window the verdict covers, epoch ms. */
  from: number;
  to: number;
  stepEndsAt: string | null;
  /** True for the verdict that decided the step (or the release). */
  decisive: boolean;
}

async function recordVerdict(ctx: RunContext, r: VerdictRecord): Promise<void> {
  const v = r.verdict;
  const data: VerdictEventData = {
    step: r.index + 1,
    steps: ctx.plan.steps as number,
    weight: r.weight,
    phase: v.phase,
    summary: v.summary,
    canary: v.canary,
    baseline: v.baseline,
    checks: v.checks,
    window: { from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() },
    stepEndsAt: r.stepEndsAt,
    decisive: r.decisive,
  };
  await ctx.event('verdict', `${v.phase}: ${v.summary}`, data as unknown as Record<string, unknown>);
}

/** Scale the new version to full size, then switch all traffic to it and retire the stable one. */
async function promote(ctx: RunContext): Promise<void> {
  const { fleet } = ctx.deps;
  const rel = ctx.release;
  const live = ctx.plan.newInstanceIds.filter((id) => fleet.get(id));
  const extra = Array.from({ length: Math.max(0, ctx.env.instances - live.length) }, () =>
    fleet.newInstanceId(rel.environment, rel.version),
  );
  const plan = { ...ctx.plan, newInstanceIds: [...live, ...extra], weight: 100 };
  await ctx.to('promoting', {
    message: `promoting ${rel.version}: scaling to ${ctx.env.instances} instance(s)`,
    plan,
  });
  if (extra.length > 0) {
    const started = await ctx.startAndVerify(extra);
    if (ctx.signal.aborted) return;
    if (!started.ok) return rollBack(ctx, 'NotReady', `promotion failed: ${started.reason}`);
  }
  await switchTraffic(ctx);
  await finishSwitch(ctx);
}

/** Traffic back on the stable version at once, then the canary drained and stopped. */
export async function rollBack(ctx: RunContext, reason: string, message: string): Promise<void> {
  const rel = ctx.release;
  if (rel.state !== 'rolling_back') await ctx.to('rolling_back', { reason, message });
  await ctx.deps.fleet.setServing(rel.environment, [
    { version: rel.previousVersion ?? '', weight: 100, instanceIds: stableIds(ctx) },
  ]);
  await ctx.event('traffic', `all traffic back on ${rel.previousVersion}`, { weight: 0 });
  await ctx.deps.fleet.stop(ctx.plan.newInstanceIds, { drain: true });
  await ctx.to(reason === 'Aborted' ? 'aborted' : 'rolled_back', {
    reason,
    message: `${message}; ${rel.environment} serves ${rel.previousVersion} again`,
  });
}
