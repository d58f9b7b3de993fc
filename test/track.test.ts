import { describe, expect, it } from 'vitest';
import { matchRef, parseConfig } from '../src/config/index.ts';

const { config } = parseConfig(
  `service: shop
run: { command: node server.js }
environments:
  hotfix:
    listen: 127.0.0.1:8083
    track: { branch: "hotfix/*" }
  staging:
    listen: 127.0.0.1:8081
    track: { branch: [main, "release/**"], tag: "rc-*" }
  production:
    listen: 127.0.0.1:8080
    track: { tag: "v*" }
  preview:
    listen: 127.0.0.1:8082
    track: { branch: "*", tag: "*" }
  manual:
    listen: 127.0.0.1:8084
`,
  'gantry.yaml',
);

describe('matchRef', () => {
  it.each([
    // full refs say what they are
    ['refs/heads/main', { environment: 'staging', kind: 'branch', name: 'main' }],
    ['refs/tags/v1.2.3', { environment: 'production', kind: 'tag', name: 'v1.2.3' }],
    ['refs/tags/rc-7', { environment: 'staging', kind: 'tag', name: 'rc-7' }],
    ['refs/heads/release/2026/q1', { environment: 'staging', kind: 'branch', name: 'release/2026/q1' }],
    ['refs/heads/hotfix/login', { environment: 'hotfix', kind: 'branch', name: 'hotfix/login' }],
    // `*` stays within one path segment, so only `**` reaches nested branches
    ['refs/heads/feature/x', undefined],
    // the first environment in file order wins when several match
    ['refs/heads/topic', { environment: 'preview', kind: 'branch', name: 'topic' }],
    ['refs/heads/v2', { environment: 'preview', kind: 'branch', name: 'v2' }],
    // a bare name is a tag first, then a branch
    ['v2.0.0', { environment: 'production', kind: 'tag', name: 'v2.0.0' }],
    ['main', { environment: 'preview', kind: 'tag', name: 'main' }],
    ['hotfix/login', { environment: 'hotfix', kind: 'branch', name: 'hotfix/login' }],
    // other refs match nothing
    ['refs/pull/12/head', undefined],
    ['refs/heads/', undefined],
    ['', undefined],
  ])('%s', (ref, expected) => {
    expect(matchRef(config, ref)).toEqual(expected);
  });

  it('matches nothing when no environment tracks refs', () => {
    const { config: untracked } = parseConfig(
      'service: s\nrun: { command: x }\nenvironments: { staging: { listen: "127.0.0.1:1" } }\n',
      'gantry.yaml',
    );
    expect(matchRef(untracked, 'refs/heads/main')).toBeUndefined();
    expect(matchRef(untracked, 'v1.0.0')).toBeUndefined();
  });
});
