/**
 * The change detection the pipelines run (`npm run images:plan`), against real git repositories (git init, commits),
 * and the commands over its plan: one build, scan and push per planned image, and the deploy command given every
 * pushed image by digest.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { platformConfig } from '../../config';
import { CONFIGURATIONS } from '../../config/configurations';
import type { ImageConfig } from '../../config/workloads';
import { dockerIgnore, SHARED_PATHS } from '../../scripts/image-plan';
import { deployBuiltArgs, imagesMain, type Io, readDigests } from '../../scripts/images';

const ROOT = join(__dirname, '..', '..');
const IMAGES: ImageConfig[] = [
  // As the sample: context = the repository root, its own ignore file letting in only what the build reads.
  { name: 'app', context: '.', dockerfile: 'app/Dockerfile', repositoryName: 'platform/web' },
  // A self-contained service: its folder is its context.
  { name: 'reports', context: 'services/reports', dockerfile: 'services/reports/Dockerfile', repositoryName: 'platform/reports' },
];
const CONFIG = { ...platformConfig, images: IMAGES };
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

let repo: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
const write = (files: Record<string, string>) => {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
};
/** Writes the files and commits them; the new commit's SHA. */
const commit = (files: Record<string, string>, message = 'change'): string => {
  write(files);
  git('add', '-A');
  git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD');
};

function io(overrides: Partial<Io> = {}) {
  const logs: string[] = [];
  const out: string[] = [];
  const runs: string[][] = [];
  const deploys: string[][] = [];
  const value: Io = {
    cwd: repo,
    configurations: { ...CONFIGURATIONS, 'images-test': CONFIG },
    env: {},
    out: (text) => out.push(text),
    log: (line) => logs.push(line),
    run: (line) => (runs.push([...line]), 0),
    deploy: async (args) => (deploys.push([...args]), 0),
    ...overrides,
  };
  return { io: value, logs, out, runs, deploys };
}

/** images:plan over the test images (a configuration holding them, passed as the entry point would). */
async function plan(...args: string[]) {
  const run = io();
  const code = await imagesMain(['plan', '--config', 'images-test', ...args], run.io);
  return { code, plan: code === 0 ? JSON.parse(run.out.join('')) : undefined, ...run };
}
const built = (p: { images: { name: string }[] }) => p.images.map((i) => i.name);

let base: string;
beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'images-plan-'));
  git('init', '-q', '-b', 'develop');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'test');
  base = commit({
    'package.json': '{}',
    'app/Dockerfile': 'FROM scratch\n',
    'app/Dockerfile.dockerignore': readFileSync(join(ROOT, 'app/Dockerfile.dockerignore'), 'utf8'),
    'app/src/server.ts': 'export {};\n',
    'app/README.md': '# app\n',
    'services/reports/Dockerfile': 'FROM scratch\n',
    'services/reports/main.go': 'package main\n',
    'docs/delivery.md': '# delivery\n',
    'config/platform.ts': 'export {};\n',
  });
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

describe('images:plan: an image is built when a file that enters its build changed', () => {
  test("a change under one image's context builds that image only", async () => {
    commit({ 'services/reports/main.go': 'package main // v2\n' });
    const result = await plan('--base', base);
    expect(result.code).toBe(0);
    expect(built(result.plan)).toEqual(['reports']);
    expect(result.plan.images[0]).toMatchObject({
      context: 'services/reports',
      dockerfile: 'services/reports/Dockerfile',
      archive: 'image-reports.tar',
      because: ['services/reports/main.go'],
    });
    expect(result.plan.declared).toEqual(['app', 'reports']);
    expect(result.logs).toEqual(expect.arrayContaining([expect.stringMatching(/^images:plan: app: unchanged since [0-9a-f]{40}: not built$/)]));
  });

  test("the sample's ignore file decides: app/src builds app; app/README.md (left out of the build) builds nothing", async () => {
    const readme = commit({ 'app/README.md': '# app, documented\n' });
    expect(built((await plan('--base', base)).plan)).toEqual([]);
    commit({ 'app/src/server.ts': 'export const v = 2;\n' });
    expect(built((await plan('--base', readme)).plan)).toEqual(['app']);
  });

  test('the Dockerfile and its ignore file are inputs even when the ignore file leaves them out of the context', async () => {
    commit({ 'app/Dockerfile': 'FROM scratch\nUSER 65532\n' });
    expect(built((await plan('--base', base)).plan)).toEqual(['app']);
  });

  test('a change to shared platform code builds every image; a change to neither, nothing', async () => {
    const docs = commit({ 'docs/delivery.md': '# delivery, updated\n' });
    const none = await plan('--base', base);
    expect([none.plan.reason, built(none.plan)]).toEqual(['none', []]);
    commit({ 'config/platform.ts': 'export const changed = true;\n' });
    const shared = await plan('--base', docs);
    expect([shared.plan.reason, built(shared.plan)]).toEqual(['shared', ['app', 'reports']]);
    expect(shared.plan.images[0].because).toEqual(['shared platform code changed: config/platform.ts']);
  });

  test('every commit since the base counts (several pushed at once), deleted files too', async () => {
    commit({ 'services/reports/main.go': 'package main // v2\n' });
    rmSync(join(repo, 'app/src/server.ts'));
    commit({});
    expect(built((await plan('--base', base)).plan)).toEqual(['app', 'reports']);
  });

  test('no base (a release, a new branch: empty or all-zero SHA) or a base the clone lacks: every image, saying why', async () => {
    for (const args of [[], ['--base', ''], ['--base', '0'.repeat(40)]]) {
      const result = await plan(...args);
      expect([args, built(result.plan)]).toEqual([args, ['app', 'reports']]);
      expect(result.plan.reason).toMatch(/^no base commit/);
    }
    const missing = await plan('--base', 'f'.repeat(40));
    expect(built(missing.plan)).toEqual(['app', 'reports']);
    expect(missing.plan.reason).toContain(`base "${'f'.repeat(40)}" is not in this clone`);
  });

  test('a force-pushed branch: the changes since the histories split (merge base), not the old branch tip', async () => {
    const old = commit({ 'services/reports/main.go': 'package main // abandoned\n' });
    git('reset', '-q', '--hard', base);
    commit({ 'app/src/server.ts': 'export const rewritten = 1;\n' });
    expect(built((await plan('--base', old)).plan)).toEqual(['app']);
  });

  test('--out writes the plan; in GitHub Actions a strategy matrix, the count and the names go to $GITHUB_OUTPUT', async () => {
    commit({ 'services/reports/main.go': 'package main // v2\n' });
    const output = join(repo, 'github-output');
    writeFileSync(output, '');
    const run = io({ env: { GITHUB_OUTPUT: output } });
    expect(await imagesMain(['plan', '--config', 'images-test', '--base', base, '--out', 'images-plan.json'], run.io)).toBe(0);
    expect(JSON.parse(readFileSync(join(repo, 'images-plan.json'), 'utf8'))).toEqual(JSON.parse(run.out.join('')));
    const lines = readFileSync(output, 'utf8').trim().split('\n');
    expect(lines).toEqual([
      `matrix=${JSON.stringify({ include: [{ name: 'reports', context: 'services/reports', dockerfile: 'services/reports/Dockerfile', repository: 'platform/reports', archive: 'image-reports.tar' }] })}`,
      'count=1',
      'names=reports',
    ]);
  });

  test('bad input: exit 2 naming the flag (unknown option, unknown configuration)', async () => {
    const unknown = await plan('--bse', base);
    expect(unknown.code).toBe(2);
    expect(unknown.logs.join('\n')).toMatch(/Unknown option '--bse'/);
    const run = io();
    expect(await imagesMain(['plan', '--config', 'nope'], run.io)).toBe(2);
    expect(run.logs.join('\n')).toMatch(/unknown configuration "nope"/);
  });
});

describe('Docker ignore rules (moby/patternmatcher semantics)', () => {
  const ignored = dockerIgnore(readFileSync(join(ROOT, 'app/Dockerfile.dockerignore'), 'utf8'));
  test.each([
    ['app/src/server.ts', false],
    ['app/src/deep/er/file.ts', false],
    ['app/build.mjs', false],
    ['config/platform.ts', false],
    ['config/examples/multi-account.ts', true],
    ['package.json', false],
    ['app/README.md', true],
    ['charts/web.ts', true],
    ['README.md', true],
  ])('%s ignored: %s', (path, expected) => expect(ignored(path)).toBe(expected));

  test('"**" spans folders, "*" and "?" stay in one, the last matching rule wins, "#" is a comment', () => {
    const rules = dockerIgnore('# comment\n**/*.log\n!keep/**/important.log\ntmp?\nbuild/*\n');
    expect(['a.log', 'x/y/a.log', 'keep/a/b/important.log', 'tmp1', 'tmp12', 'build/x', 'build/x/y', 'src/build/x'].map((p) => [p, rules(p)])).toEqual([
      ['a.log', true],
      ['x/y/a.log', true],
      ['keep/a/b/important.log', false],
      ['tmp1', true],
      ['tmp12', false],
      ['build/x', true],
      ['build/x/y', true],
      ['src/build/x', false],
    ]);
  });
});

describe('the shared paths', () => {
  test('cover the configuration, the charts, the deploy command, the stacks, the dependencies and every pipeline', () => {
    for (const path of [
      'config/',
      'charts/',
      'deploy/',
      'infra/',
      'package.json',
      'package-lock.json',
      '.github/workflows/',
      '.gitlab-ci.yml',
      'Jenkinsfile',
      'bitbucket-pipelines.yml',
    ]) {
      expect(SHARED_PATHS).toContain(path);
    }
    // docs/delivery.md names each one (the list a team reads to know what releases everything).
    const docs = readFileSync(join(ROOT, 'docs/delivery.md'), 'utf8');
    for (const path of SHARED_PATHS) expect([path, docs.includes(`\`${path}\``)]).toEqual([path, true]);
    // Each one exists in this repository (a renamed folder would silently stop releasing everything).
    for (const path of SHARED_PATHS) expect([path, readdirOrFile(join(ROOT, path))]).toEqual([path, true]);
  });
});

function readdirOrFile(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EISDIR';
  }
}

describe('images:build / scan / push: one run per planned image, with its own context, Dockerfile and archive', () => {
  const writePlan = (names: string[]) => {
    const images = IMAGES.filter((i) => names.includes(i.name)).map((i) => ({ ...i, archive: `image-${i.name}.tar`, because: ['x'] }));
    writeFileSync(join(repo, 'images-plan.json'), JSON.stringify({ base, head: base, reason: 'changes', declared: ['app', 'reports'], images }));
  };

  test('build, scan and push each planned image; push writes <digests>/<name>.env', async () => {
    writePlan(['app', 'reports']);
    const run = io();
    expect(await imagesMain(['build', '--plan', 'images-plan.json', '--tag', 'abc123'], run.io)).toBe(0);
    expect(await imagesMain(['scan', '--plan', 'images-plan.json'], run.io)).toBe(0);
    expect(await imagesMain(['push', '--plan', 'images-plan.json', '--registry', '1.dkr.ecr.eu-west-1.amazonaws.com', '--tag', 'abc123', '--digests', 'digests'], run.io)).toBe(0);
    expect(run.runs).toEqual([
      ['bash', 'scripts/build-image.sh', '.', 'app/Dockerfile', 'image-app.tar', 'app:abc123'],
      ['bash', 'scripts/build-image.sh', 'services/reports', 'services/reports/Dockerfile', 'image-reports.tar', 'reports:abc123'],
      ['bash', 'scripts/scan.sh', 'image', 'image-app.tar', 'sbom-app.cdx.json'],
      ['bash', 'scripts/scan.sh', 'image', 'image-reports.tar', 'sbom-reports.cdx.json'],
      ['bash', '.github/scripts/push-image.sh', 'image-app.tar', '1.dkr.ecr.eu-west-1.amazonaws.com/platform/web', 'abc123', 'digests/app.env'],
      ['bash', '.github/scripts/push-image.sh', 'image-reports.tar', '1.dkr.ecr.eu-west-1.amazonaws.com/platform/reports', 'abc123', 'digests/reports.env'],
    ]);
  });

  test('--image: only that image; a declared image the plan skips is skipped; an undeclared one is refused', async () => {
    writePlan(['reports']);
    const run = io();
    expect(await imagesMain(['build', '--plan', 'images-plan.json', '--tag', 't', '--image', 'app'], run.io)).toBe(0);
    expect(run.runs).toEqual([]);
    expect(run.logs.join('\n')).toContain('"app" is not in the plan');
    expect(await imagesMain(['build', '--plan', 'images-plan.json', '--tag', 't', '--image', 'reports'], run.io)).toBe(0);
    expect(run.runs.map((r) => r[4])).toEqual(['image-reports.tar']);
    expect(await imagesMain(['build', '--plan', 'images-plan.json', '--tag', 't', '--image', 'web'], run.io)).toBe(2);
    expect(run.logs.at(-1)).toBe('--image "web" is not a declared image; allowed: "app", "reports"');
  });

  test('a failed scan of one image fails the step after scanning the others; a failed build stops at once', async () => {
    writePlan(['app', 'reports']);
    const failing = io({ run: (line) => (failing.runs.push([...line]), line.includes('image-app.tar') ? 1 : 0) });
    expect(await imagesMain(['scan', '--plan', 'images-plan.json'], failing.io)).toBe(1);
    expect(failing.runs).toHaveLength(2);
    expect(failing.logs.at(-1)).toBe('images:scan: failed for "app": nothing may be pushed');
    failing.runs.length = 0;
    expect(await imagesMain(['build', '--plan', 'images-plan.json', '--tag', 't'], failing.io)).toBe(1);
    expect(failing.runs).toHaveLength(1);
  });

  test('a missing plan or flag: exit 2 saying what to do', async () => {
    const run = io();
    expect(await imagesMain(['build', '--plan', 'nope.json', '--tag', 't'], run.io)).toBe(2);
    expect(run.logs.at(-1)).toMatch(/--plan nope\.json: .*npm run images:plan -- --out nope\.json/);
    expect(await imagesMain(['push', '--plan', 'images-plan.json', '--tag', 't'], run.io)).toBe(2);
    expect(run.logs.at(-1)).toMatch(/^--registry is required/);
  });
});

describe('deploy:built: the deploy command with every image pushed in this run, by digest', () => {
  const registry = '123456789012.dkr.ecr.eu-central-1.amazonaws.com';
  const digests = (entries: Record<string, string>) => {
    for (const [path, digest] of Object.entries(entries)) write({ [path]: `IMAGE_DIGEST=${digest}\n` });
  };

  test('--image <name>=<registry>/<repository>@<digest> for each pushed image (nested artifact folders too), the other options passed on', () => {
    digests({ 'digests/digest-reports/reports.env': DIGEST_B, 'digests/digest-app/app.env': DIGEST_A });
    const args = deployBuiltArgs(
      CONFIG,
      'images-test',
      ['--env', 'prod', '--registry', registry, '--digests', 'digests', '--outputs', 'cdk-outputs.json'],
      readDigests(join(repo, 'digests')),
    );
    expect(args).toEqual([
      '--config',
      'images-test',
      '--env',
      'prod',
      '--image',
      `app=${registry}/platform/web@${DIGEST_A}`,
      '--image',
      `reports=${registry}/platform/reports@${DIGEST_B}`,
      '--outputs',
      'cdk-outputs.json',
    ]);
  });

  test('only the images pushed: one pushed, one --image', () => {
    digests({ 'digests/reports.env': DIGEST_B });
    const args = deployBuiltArgs(CONFIG, 'images-test', ['--env=dev', `--registry=${registry}`, '--digests=digests'], readDigests(join(repo, 'digests')));
    expect(args).toEqual(['--config', 'images-test', '--env', 'dev', '--image', `reports=${registry}/platform/reports@${DIGEST_B}`]);
  });

  test('nothing pushed: nothing to release, the deploy command is not run (exit 0)', async () => {
    const run = io();
    expect(await imagesMain(['deploy', '--env', 'dev', '--registry', registry, '--digests', 'digests', '--outputs', 'cdk-outputs.json'], run.io)).toBe(0);
    expect(run.deploys).toEqual([]);
    expect(run.logs.join('\n')).toContain('no image was pushed in this run');
  });

  test("runs the deploy command and returns its exit code (here: the default configuration's image)", async () => {
    digests({ 'digests/app.env': DIGEST_A });
    const run = io({ deploy: async (args) => (run.deploys.push([...args]), 6) });
    expect(await imagesMain(['deploy', '--config', 'default', '--env', 'dev', '--registry', registry, '--digests', 'digests', '--outputs', 'o.json'], run.io)).toBe(6);
    expect(run.deploys).toEqual([['--config', 'default', '--env', 'dev', '--image', `app=${registry}/platform/web@${DIGEST_A}`, '--outputs', 'o.json']]);
  });

  test('bad input: exit 2 naming it (an undeclared image, a malformed digest file, --image, a bad registry, a missing flag)', async () => {
    const cases: [Record<string, string>, string[], RegExp][] = [
      [{ 'digests/web.env': `IMAGE_DIGEST=${DIGEST_A}\n` }, [], /a digest for image "web", which configuration "default" does not declare; declared: "app"/],
      [{ 'digests/app.env': 'IMAGE_DIGEST=latest\n' }, [], /digests\/app\.env holds no IMAGE_DIGEST=sha256:<64 hex digits> line/],
      [{}, ['--image', 'x'], /--image is not taken here/],
      [{}, ['--registry', 'https://x/'], /--registry "https:\/\/x\/" is not a registry host/],
    ];
    for (const [files, extra, message] of cases) {
      rmSync(join(repo, 'digests'), { recursive: true, force: true });
      write(files);
      const run = io();
      const args = ['deploy', '--env', 'dev', '--registry', registry, '--digests', 'digests', ...extra];
      expect([message, await imagesMain(args, run.io)]).toEqual([message, 2]);
      expect(run.logs.join('\n')).toMatch(message);
      expect(run.deploys).toEqual([]);
    }
    const missing = io();
    expect(await imagesMain(['deploy', '--env', 'dev', '--digests', 'digests'], missing.io)).toBe(2);
    expect(missing.logs.join('\n')).toMatch(/^--registry is required/);
  });
});
