/**
 * `npm run render`: apply-ready manifests from the same preparation as the deploy command; no placeholder, no
 * Secret, clear refusals with nothing written; the committed review manifests are refused.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadAll } from 'js-yaml';
import { NAMESPACE_FILE, REVIEW_HEADER, renderTarget, workloadFile } from '../../../charts/app';
import { DeployError } from '../../../deploy/errors';
import { parseImageArgs, RENDERED_MARKER, renderRelease, type RenderCommandOptions } from '../../../deploy/export/manifest-files';
import { prepare } from '../../../deploy/phases/prepare';
import { config, fakeOutputs, writeOutputsFile } from '../fixtures';

const root = resolve(__dirname, '../../..');
const deps = { config, render: renderTarget, repoRoot: root };
const image = 'registry.example/web:1.4.2';
const out = () => join(mkdtempSync(join(tmpdir(), 'render-test-')), 'out');
const run = (o: Partial<RenderCommandOptions>) => renderRelease({ env: 'generic', images: [`app=${image}`], outDir: out(), ...o }, deps);
type Written = { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any };
const writtenFile = (file: string) => loadAll(readFileSync(file, 'utf8')).filter(Boolean) as Written[];
/** Every object written, namespace file first, then the workloads' files in declaration order. */
const written = (files: readonly string[]) => files.flatMap(writtenFile);
/** The workloads of a target in the shipped configuration. */
const workloadsOf = (env: string) => [...config.environments, ...config.portableTargets].find((t) => t.name === env)!.workloads.map((w) => w.name);

function refused(o: Partial<RenderCommandOptions>): string {
  const outDir = o.outDir ?? out();
  try {
    run({ ...o, outDir });
  } catch (e) {
    expect(e).toBeInstanceOf(DeployError);
    expect((e as DeployError).exitCode).toBe(2);
    if (!o.outDir) expect(existsSync(outDir)).toBe(false); // nothing written, not even the folder
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('npm run render', () => {
  it('writes the generic release with the real image, Namespace first, no placeholder, no Secret; names the Secret it needs', () => {
    const result = run({});
    for (const file of result.files) {
      const text = readFileSync(file, 'utf8');
      expect(text.startsWith(RENDERED_MARKER)).toBe(true);
      expect(text).not.toMatch(/placeholder/);
    }
    const objects = written(result.files);
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'web' } });
    expect(objects.map((o) => o.kind)).not.toContain('Secret');
    expect(objects.find((o) => o.kind === 'Deployment')?.spec.template.spec.containers.map((c: { image: string }) => c.image)).toEqual([image]);
    expect(objects.every((o) => o.metadata.labels?.['platform.local/release'] === 'generic')).toBe(true);
    // Each workload with database access reads its own login (one database role per workload).
    expect(result.notes).toEqual([
      ...['web', 'worker', 'prune'].map((w) => expect.stringMatching(new RegExp(`^Secret ${w}-database \\(keys host, .*\\) must exist in namespace web`))),
      // web's migration: the deploy command runs it first; kubectl users are told how.
      expect.stringMatching(/^job\/web-migrate-[0-9a-f]{10} is a migration .*\(kubectl wait --for=condition=complete job\/web-migrate-[0-9a-f]{10} -n web\) before the rest$/),
    ]);
    expect(readFileSync(result.files[0], 'utf8')).toContain('# Needs: Secret worker-database');
  });

  it('is the release the deploy command prepares, object for object', () => {
    const result = run({});
    const prepared = prepare({ env: 'generic', image }, deps);
    const byKey = (list: readonly Written[]) => [...list].sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
    expect(byKey(written(result.files))).toEqual(byKey(JSON.parse(JSON.stringify([prepared.release.namespaceObject, ...prepared.release.objects]))));
  });

  it('renders an aws environment from its outputs with every real value', () => {
    const outputs = fakeOutputs('dev', { certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc', podRoleArn: 'arn:aws:iam::123456789012:role/web' });
    const result = run({ env: 'dev', outputsFile: writeOutputsFile('dev', outputs) });
    const text = result.files.map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(text).not.toMatch(/placeholder/);
    expect(text).toContain('arn:aws:acm:eu-west-1:123456789012:certificate/abc');
  });

  it('never writes the OIDC client Secret of prod: names it and where it comes from', () => {
    const outputs = fakeOutputs('prod');
    // Production renders only images by digest (as the deploy command; config checkDeployImage).
    const result = run({ env: 'prod', images: [`app=registry.example/web@sha256:${'d'.repeat(64)}`], outputsFile: writeOutputsFile('prod', outputs) });
    expect(written(result.files).map((o) => o.kind)).not.toContain('Secret');
    for (const file of result.files) expect(readFileSync(file, 'utf8')).not.toMatch(/clientSecret:/);
    expect(result.notes.join('\n')).toContain(`Secret alb-oidc-client (keys clientID, clientSecret) must exist in namespace web`);
    expect(result.notes.join('\n')).toContain(outputs.userPoolClientSecretArn);
  });

  it('writes the folder again over its own earlier output', () => {
    const dir = out();
    run({ outDir: dir });
    run({ outDir: dir, images: ['app=registry.example/web:1.4.3'] });
    expect(readFileSync(join(dir, workloadFile('web')), 'utf8')).toContain('registry.example/web:1.4.3');
  });

  it("writes the namespace file and one file per workload, each holding exactly that workload's objects", () => {
    const dir = out();
    const result = run({ outDir: dir });
    const workloads = workloadsOf('generic');
    expect(workloads.length).toBeGreaterThanOrEqual(3);
    expect(readdirSync(dir).sort()).toEqual([NAMESPACE_FILE, ...workloads.map(workloadFile)].sort());
    expect(result.files).toEqual([NAMESPACE_FILE, ...workloads.map(workloadFile)].map((f) => join(dir, f)));
    // The same split as the chart's own files (manifests/): each object in the file of its workload.
    const rendered = renderTarget(config, 'generic', { images: { app: image } }).files;
    for (const f of rendered) {
      const names = (list: readonly { kind: string; metadata: { name: string } }[]) => list.map((o) => `${o.kind}/${o.metadata.name}`).sort();
      expect(names(writtenFile(join(dir, f.file)))).toEqual(names(f.objects as Written[]));
    }
    // Every workload runs the image given for its image name: the Deployments and the CronJob.
    const podImages = written(result.files)
      .flatMap((o) => (o.spec?.template?.spec ?? o.spec?.jobTemplate?.spec?.template?.spec)?.containers ?? [])
      .map((c: { image: string }) => c.image);
    expect(new Set(podImages)).toEqual(new Set([image]));
    expect(written(result.files).map((o) => o.kind)).toEqual(expect.arrayContaining(['Deployment', 'CronJob']));
  });

  it('accepts a bare --image for a target of one image', () => {
    const result = run({ images: [image] });
    expect(written(result.files).filter((o) => o.kind === 'Deployment').length).toBeGreaterThanOrEqual(2);
    expect(readFileSync(result.files[1], 'utf8')).toContain(`with image app=${image}`);
  });

  it('removes its own files of a workload that is no longer rendered, never foreign ones', () => {
    const dir = out();
    run({ outDir: dir });
    writeFileSync(join(dir, 'gone.k8s.yaml'), `${RENDERED_MARKER} for "generic"\n---\nkind: ConfigMap\n`);
    writeFileSync(join(dir, 'notes.txt'), 'kept');
    run({ outDir: dir });
    expect(readdirSync(dir)).not.toContain('gone.k8s.yaml');
    expect(readdirSync(dir)).toContain('notes.txt');
  });
});

describe('npm run render refuses, writing nothing', () => {
  it('fails for an unknown environment, listing the allowed ones', () => {
    expect(refused({ env: 'qa' })).toMatch(/unknown environment "qa"; allowed: "dev" \(aws\), .*"generic" \(portable\)/);
  });

  it('fails for a mutable or malformed image', () => {
    expect(refused({ images: ['app=registry.example/web:latest'] })).toMatch(/--image app=registry.example\/web:latest: .*latest/);
    expect(refused({ images: ['app=web'] })).toMatch(/--image app=web/);
    expect(refused({ images: ['registry.example/web:latest'] })).toMatch(/--image app=registry.example\/web:latest: .*latest/);
  });

  it('refuses an image name given twice, naming it and both references', () => {
    expect(refused({ images: [`app=${image}`, 'app=registry.example/web:9.9.9'] })).toBe(
      `--image app is given twice (${image}, registry.example/web:9.9.9); give each image name once`,
    );
  });

  it('refuses an image name the configuration does not declare, listing the allowed names', () => {
    expect(refused({ images: [`app=${image}`, `api=${image}`] })).toBe('--image api=…: the configuration declares no image "api"; allowed: "app"');
  });

  it('refuses a missing image for a workload, naming the workloads that run it', () => {
    expect(refused({ images: [] })).toMatch(/^--image required: --image <name>=<ref>/);
    const withTwoImages = twoImageConfig();
    const message = refusedWith({ images: [`app=${image}`] }, withTwoImages);
    expect(message).toBe('image "jobs" (run by workload "prune") has no reference: add --image jobs=<ref>');
  });

  it('refuses a bare --image when the target runs several images, naming them', () => {
    expect(refusedWith({ images: [image] }, twoImageConfig())).toBe(`--image ${image}: "generic" runs 2 images ("app", "jobs"); name each: --image app=<ref> --image jobs=<ref>`);
    expect(refused({ images: [image, `app=${image}`] })).toMatch(/a bare reference is accepted only alone/);
  });

  it('refuses a declared image that no workload of the target runs', () => {
    const config2 = { ...config, images: [...config.images, { ...config.images[0], name: 'jobs', repositoryName: 'platform/jobs' }] };
    expect(refusedWith({ images: [`app=${image}`, `jobs=${image}`] }, config2)).toBe('--image jobs=…: no workload of "generic" runs image "jobs"; allowed: "app"');
  });

  it('renders every image of a target of two images where its workloads run it', () => {
    const result = renderRelease({ env: 'generic', images: [`app=${image}`, 'jobs=registry.example/jobs:2.0.0'], outDir: out() }, { ...deps, config: twoImageConfig() });
    const cronJob = written(result.files).find((o) => o.kind === 'CronJob')!;
    expect(cronJob.spec.jobTemplate.spec.template.spec.containers.map((c: { image: string }) => c.image)).toEqual(['registry.example/jobs:2.0.0']);
    expect(written(result.files).find((o) => o.kind === 'Deployment' && o.metadata.name === 'web')!.spec.template.spec.containers[0].image).toBe(image);
  });

  it('fails for an aws environment without --outputs, and for a portable target with them', () => {
    expect(refused({ env: 'dev' })).toMatch(/environment "dev" needs --outputs <cdk-outputs.json>/);
    expect(refused({ outputsFile: writeOutputsFile('dev', fakeOutputs('dev')) })).toMatch(/portable target and takes no cloud outputs/);
  });

  it('fails for outputs of another environment or region', () => {
    expect(refused({ env: 'prod', outputsFile: writeOutputsFile('prod', fakeOutputs('prod', { region: 'eu-west-1' })) })).toMatch(/region is "eu-west-1" .*wrong region/);
    expect(refused({ env: 'prod', outputsFile: writeOutputsFile('prod', fakeOutputs('prod')) })).toMatch(
      /is pinned by tag; environment "prod" is production and accepts only images by digest/,
    );
  });

  it('fails when --out is the committed review manifests', () => {
    expect(refused({ outDir: join(root, 'manifests/generic') })).toMatch(/inside manifests\/, the committed review copies/);
    expect(refused({ outDir: join(root, 'manifests') })).toMatch(/inside manifests\//);
  });

  it('fails when --out holds YAML that render did not write (kubectl apply -f would apply it too)', () => {
    const dir = out();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'other.yaml'), 'kind: ConfigMap\n');
    expect(refused({ outDir: dir })).toMatch(/already holds other.yaml, not written by render/);
    expect(readdirSync(dir)).toEqual(['other.yaml']);
  });
});

describe('the --image values', () => {
  it('are read by name, or as one bare reference', () => {
    expect(parseImageArgs(['app=r.example/a:1', 'jobs=r.example/j@sha256:' + 'a'.repeat(64)])).toEqual({
      named: { app: 'r.example/a:1', jobs: 'r.example/j@sha256:' + 'a'.repeat(64) },
    });
    expect(parseImageArgs(['r.example/a:1'])).toEqual({ bare: 'r.example/a:1', named: {} });
  });

  it('refuses an empty image name', () => {
    expect(() => parseImageArgs(['=r.example/a:1'])).toThrow('--image =r.example/a:1: the image name before "=" is empty; expected --image <name>=<ref>');
  });
});

/** The shipped configuration with the CronJob moved to a second image "jobs" (its own repository). */
function twoImageConfig(): typeof config {
  const jobs = { ...config.images[0], name: 'jobs', repositoryName: 'platform/jobs' };
  return {
    ...config,
    images: [...config.images, jobs],
    portableTargets: config.portableTargets.map((t) => ({ ...t, workloads: t.workloads.map((w) => (w.kind === 'cronJob' ? { ...w, image: 'jobs' } : w)) })),
  };
}

function refusedWith(o: Partial<RenderCommandOptions>, cfg: typeof config): string {
  const outDir = out();
  try {
    renderRelease({ env: 'generic', images: [`app=${image}`], outDir, ...o }, { ...deps, config: cfg });
  } catch (e) {
    expect(e).toBeInstanceOf(DeployError);
    expect((e as DeployError).exitCode).toBe(2);
    expect(existsSync(outDir)).toBe(false);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('the committed manifests/', () => {
  const targets = readdirSync(join(root, 'manifests'));

  it.each(targets)('%s says at the top that it is for review and cannot be applied as it is', (target) => {
    const text = readFileSync(join(root, 'manifests', target, 'web.k8s.yaml'), 'utf8');
    expect(text.startsWith(REVIEW_HEADER)).toBe(true);
    expect(REVIEW_HEADER).toMatch(/^# FOR REVIEW ONLY, cannot be applied as it is/);
  });

  it.each(targets)('%s is refused by the deploy command, which points to render', (target) => {
    let message = '';
    try {
      prepare({ env: target, manifestsDir: join(root, 'manifests', target), kubeconfig: '/dev/null' }, deps);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^refusing to deploy: the manifests still contain placeholders/);
    expect(message).toContain('image');
    expect(message).toContain('npm run render -- --env <name> --image <ref>');
  });
});
