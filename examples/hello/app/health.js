// Liveness and readiness answers in the health+json format (draft-inadarei-api-health-check),
// the same shape Gantry's own /health and /readiness use.

export const HEALTH_CONTENT_TYPE = 'application/health+json';

/** Liveness: fails for good once `fail_liveness_after_ms` has passed. */
export function checkLiveness({ knobs, startedAt, now, version }) {
  const uptimeMs = now - startedAt;
  const failAfter = knobs.fail_liveness_after_ms;
  const broken = failAfter !== null && uptimeMs >= failAfter;
  return healthBody(version, 'hello liveness', {
    'uptime:time': [check(!broken, now, { observedValue: uptimeMs / 1000, observedUnit: 's' })],
    ...(failAfter === null
      ? {}
      : {
          'liveness:knob': [
            check(!broken, now, {
              output: broken ? `fail_liveness_after_ms (${failAfter}) has passed` : '',
            }),
          ],
        }),
  });
}

/** Readiness: fails while starting up, when `fail_readiness` is set, and while shutting down. */
export function checkReadiness({ knobs, startedAt, now, version, shuttingDown }) {
  const remaining = knobs.startup_delay_ms - (now - startedAt);
  const starting = remaining > 0;
  return healthBody(version, 'hello readiness', {
    'startup:time': [
      check(!starting, now, { output: starting ? `starting: ready in ${Math.ceil(remaining)} ms` : '' }),
    ],
    'readiness:knob': [
      check(!knobs.fail_readiness, now, { output: knobs.fail_readiness ? 'fail_readiness is set' : '' }),
    ],
    'shutdown:state': [check(!shuttingDown, now, { output: shuttingDown ? 'shutting down' : '' })],
  });
}

/** HTTP status for a health body: 200 unless it failed. */
export function statusOf(body) {
  return body.status === 'fail' ? 503 : 200;
}

function healthBody(version, description, checks) {
  const failed = Object.values(checks).some((list) => list.some((c) => c.status === 'fail'));
  return {
    status: failed ? 'fail' : 'pass',
    version,
    serviceId: 'hello',
    description,
    checks,
  };
}

function check(ok, now, fields) {
  const entry = { status: ok ? 'pass' : 'fail', time: new Date(now).toISOString() };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== '') entry[key] = value;
  }
  return entry;
}
