export {
  type GithubDelivery,
  type GithubHookDeps,
  type HookResponse,
  handleGithubDelivery,
} from './github-hook.ts';
export { type PushSummary, readPushEvent } from './push-event.ts';
export {
  DEFAULT_DELIVERY_RETENTION_MS,
  DEFAULT_TRIGGER_TTL_MS,
  GITHUB_ACTOR_NAME,
  type NewTrigger,
  type ReleaseStarter,
  ReleaseTriggers,
  type ReleaseTriggersDeps,
} from './release-triggers.ts';
export { resolveWebhookSecret, type SecretLookup } from './secret.ts';
export { checkGithubSignature, checkSignatureHeader, readSignedBody, type SignedBody } from './signature.ts';
export { SHORT_SHA_LENGTH, sameCommit, sameRef, versionForRef } from './version-name.ts';
