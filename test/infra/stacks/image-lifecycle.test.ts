/**
 * ECR lifecycle rules never expire a released image, however many development builds follow it. Every build is
 * replicated into the prod region too, so a plain "keep the last N images" there would eventually delete the image
 * prod runs (and the one a rollback needs).
 *
 * `expired` applies a lifecycle policy the way ECR documents it
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html, "How lifecycle policies work"):
 * rules are evaluated from the lowest priority number; an image is expired by at most one rule; an image that
 * matches the tag selection of a rule cannot be expired by a rule with a lower priority; a rule still counts the
 * images that higher-priority rules selected; `imageCountMoreThan` keeps the newest N by push time;
 * `sinceImagePushed` expires images older than N days; a `tagPatternList` matches when every pattern matches one of
 * the image's tags (`*` is a wildcard).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformConfig, RELEASE_TAG_PREFIX } from '../../../config';
import { KEEP_BUILDS } from '../../../infra/stacks/regional-stack';
import { platform, ROOT } from '../helpers';

interface Rule {
  rulePriority: number;
  selection: {
    tagStatus: 'tagged' | 'untagged' | 'any';
    tagPrefixList?: string[];
    tagPatternList?: string[];
    countType: 'imageCountMoreThan' | 'sinceImagePushed';
    countNumber: number;
  };
  action: { type: 'expire' };
}
interface Image {
  digest: string;
  tags: string[];
  pushedDay: number;
}

const wildcard = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
function selects(rule: Rule, image: Image): boolean {
  const { tagStatus, tagPrefixList, tagPatternList } = rule.selection;
  if (tagStatus === 'any') return true;
  if (tagStatus === 'untagged') return image.tags.length === 0;
  if (image.tags.length === 0) return false;
  if (tagPrefixList) return tagPrefixList.every((prefix) => image.tags.some((tag) => tag.startsWith(prefix)));
  return (tagPatternList ?? []).every((pattern) => image.tags.some((tag) => wildcard(pattern).test(tag)));
}

/** Digests a lifecycle policy expires on day `today`. */
function expired(rules: Rule[], images: Image[], today: number): Set<string> {
  const sorted = [...rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const owner = new Map(images.map((image) => [image.digest, sorted.find((rule) => selects(rule, image))]));
  const out = new Set<string>();
  for (const rule of sorted) {
    const candidates = images.filter((image) => selects(rule, image)).sort((a, b) => b.pushedDay - a.pushedDay);
    const over =
      rule.selection.countType === 'imageCountMoreThan'
        ? candidates.slice(rule.selection.countNumber)
        : candidates.filter((image) => today - image.pushedDay > rule.selection.countNumber);
    for (const image of over) if (owner.get(image.digest) === rule) out.add(image.digest);
  }
  return out;
}

const regions = [...new Set(platformConfig.environments.map((e) => e.region))];
const rulesOf = (region: string): Rule[] => {
  const [repository] = Object.values(platform().json(`${platformConfig.project}-shared-${region}`).Resources as Record<string, any>).filter(
    (r) => r.Type === 'AWS::ECR::Repository',
  );
  return JSON.parse(repository.Properties.LifecyclePolicy.LifecyclePolicyText).rules;
};
const sha = (i: number) => i.toString(16).padStart(40, '0');

describe('ECR lifecycle: released images are never expired by the count of builds', () => {
  test.each(regions)('%s: a release followed by 3x the kept number of builds is kept; the oldest builds are expired', (region) => {
    const release: Image = { digest: 'release', tags: [sha(0), `${RELEASE_TAG_PREFIX}1.4.2`], pushedDay: 0 };
    const builds: Image[] = Array.from({ length: 3 * KEEP_BUILDS }, (_, i) => ({ digest: `build-${i + 1}`, tags: [sha(i + 1)], pushedDay: (i + 1) / 10 }));
    const result = expired(rulesOf(region), [release, ...builds], 31);
    expect(result.has('release')).toBe(false);
    expect(result.has('build-1')).toBe(true);
    expect(result.has(`build-${3 * KEEP_BUILDS}`)).toBe(false);
    expect(result.size).toBeGreaterThanOrEqual(KEEP_BUILDS);
  });

  test.each(regions)('%s: untagged images go after 7 days, tagged builds are not expired by age', (region) => {
    const images: Image[] = [
      { digest: 'untagged-old', tags: [], pushedDay: 0 },
      { digest: 'untagged-new', tags: [], pushedDay: 9 },
      { digest: 'build', tags: [sha(1)], pushedDay: 0 },
    ];
    expect([...expired(rulesOf(region), images, 10)]).toEqual(['untagged-old']);
  });

  test('the evaluator reproduces the documented failure of a plain "keep the last 100" policy', () => {
    const plain: Rule[] = [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 100 }, action: { type: 'expire' } }];
    const images: Image[] = [
      { digest: 'release', tags: ['v1.0.0'], pushedDay: 0 },
      ...Array.from({ length: 100 }, (_, i) => ({ digest: `b${i}`, tags: [sha(i + 1)], pushedDay: i + 1 })),
    ];
    expect(expired(plain, images, 200).has('release')).toBe(true);
  });

  test('release builds carry the release tag: deploy-prod passes it to build-scan, which hands it to push-image.sh (RELEASE_TAG)', () => {
    const prodCaller = readFileSync(join(ROOT, '.github/workflows/deploy-prod.yml'), 'utf8');
    expect(prodCaller).toMatch(/release-tag: \$\{\{ github\.event\.release\.tag_name \}\}/);
    const buildScan = readFileSync(join(ROOT, '.github/workflows/build-scan.yml'), 'utf8');
    expect(buildScan).toMatch(/RELEASE_TAG: \$\{\{ inputs\.release-tag \}\}/);
    expect(buildScan).toContain('npm run image:push -- "$IMAGE_TAR" "$REPOSITORY" "$TAG"');
    const script = readFileSync(join(ROOT, '.github/scripts/push-image.sh'), 'utf8');
    expect(script).toContain('release=${RELEASE_TAG:-}');
    expect(script).toContain(`${RELEASE_TAG_PREFIX}*)`);
  });

  test('push-image.sh refuses a release tag the lifecycle would not keep, before touching any registry', () => {
    const run = spawnSync('bash', [join(ROOT, '.github/scripts/push-image.sh'), 'image.tar', 'registry.example/platform/web', sha(1)], {
      encoding: 'utf8',
      env: { ...process.env, RELEASE_TAG: '1.4.2' },
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('release tag "1.4.2" does not start with "v"');
  });
});
