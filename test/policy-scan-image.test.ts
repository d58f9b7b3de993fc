// The vulnerability gate and images: a `trivy image` report counts for an image version only when
// it describes the version's bytes (its digest), or, before the push, its repository.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findImageMismatch, parseScanReport } from '../src/policy/index.ts';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const PINNED = `registry.local/shop-api@${D1}`;

describe('a trivy image report against the image of a version', () => {
  it('reads ArtifactName and RepoDigests of an image report, and nothing for a filesystem scan', () => {
    const fixture = (name: string) =>
      readFileSync(path.join(import.meta.dirname, 'fixtures', 'scans', name), 'utf8');
    expect(parseScanReport(fixture('trivy-image.json')).image).toEqual({
      name: 'registry.local/shop-api:v1.4.2',
      repoDigests: [],
    });
    expect(parseScanReport(fixture('trivy-clean.json')).image).toBeUndefined();
  });

  const cases: Array<{ name: string; scanned: { name: string; repoDigests: string[] }; mismatch?: string }> =
    [
      { name: 'the pinned reference itself', scanned: { name: PINNED, repoDigests: [] } },
      {
        name: 'a tag whose RepoDigests hold the digest',
        scanned: { name: 'registry.local/shop-api:v1', repoDigests: [`registry.local/shop-api@${D1}`] },
      },
      {
        name: 'a tag built and not pushed yet',
        scanned: { name: 'registry.local/shop-api:v1', repoDigests: [] },
      },
      {
        name: 'other bytes of the same repository',
        scanned: { name: 'registry.local/shop-api:v1', repoDigests: [`registry.local/shop-api@${D2}`] },
        mismatch: `the report scanned registry.local/shop-api:v1, but the version is ${PINNED} (other bytes)`,
      },
      {
        name: 'another digest named in ArtifactName',
        scanned: { name: `registry.local/shop-api@${D2}`, repoDigests: [] },
        mismatch: `the report scanned registry.local/shop-api@${D2}, but the version is ${PINNED} (other bytes)`,
      },
      {
        name: 'another repository',
        scanned: { name: 'registry.local/billing:v1', repoDigests: [] },
        mismatch: `the report scanned registry.local/billing:v1, but the version is ${PINNED} (another repository)`,
      },
      {
        name: 'a name that is no image reference',
        scanned: { name: 'my laptop', repoDigests: [] },
        mismatch: `the report scanned my laptop, but the version is ${PINNED}: the report's ArtifactName is not an image reference`,
      },
    ];
  for (const c of cases) {
    it(`${c.mismatch ? 'refuses' : 'accepts'} ${c.name}`, () => {
      expect(findImageMismatch(c.scanned, PINNED)).toBe(c.mismatch);
    });
  }

  it("treats Docker Hub's spellings of a repository as one", () => {
    const hub = `docker.io/library/nginx@${D1}`;
    expect(findImageMismatch({ name: 'nginx:1.27', repoDigests: [] }, hub)).toBeUndefined();
    expect(findImageMismatch({ name: 'library/nginx:1.27', repoDigests: [] }, hub)).toBeUndefined();
  });
});
