/**
 * `npm run render`: apply-ready manifests from the same preparation as the deploy command; no placeholder, no
 * Secret, clear refusals with nothing written; the committed review manifests are refused.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadAll } from 'js-yaml';
import { REVIEW_HEADER, renderTarget } from '../../../charts/app';
import { DeployError } from '../../../deploy/errors';
import { RENDERED_FILE, RENDERED_MARKER, renderRelease, type RenderCommandOptions } from '../../../deploy/export/manifest-files';
import { prepare } from '../../../deploy/phases/prepare';
import { config, fakeOutputs, writeOutputsFile } from '../fixtures';

const root = resolve(__dirname, '../../..');
const deps = { config, render: renderTarget, repoRoot: root };
const image = 'registry.example/web:1.4.2';
const out = () => join(mkdtempSync(join(tmpdir(), 'render-test-')), 'out');
const run = (o: Partial<RenderCommandOptions>) => renderRelease({ env: 'generic', image, outDir: out(), ...o }, deps);
const written = (file: string) =>
  loadAll(readFileSync(file, 'utf8')).filter(Boolean) as { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any }[];

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
    const text = readFileSync(result.file, 'utf8');
    expect(text.startsWith(RENDERED_MARKER)).toBe(true);
    expect(text).not.toMatch(/placeholder/);
    const objects = written(result.file);
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'web' } });
    expect(objects.map((o) => o.kind)).not.toContain('Secret');
    expect(objects.find((o) => o.kind === 'Deployment')?.spec.template.spec.containers.map((c: { image: string }) => c.image)).toEqual([image]);
    expect(objects.every((o) => o.metadata.labels?.['platform.local/release'] === 'generic')).toBe(true);
    expect(result.notes).toEqual([expect.stringMatching(/^Secret web-database \(keys host, .*\) must exist in namespace web/)]);
  });

  it('is the release the deploy command prepares, object for object', () => {
    const result = run({});
    const prepared = prepare({ env: 'generic', image }, deps);
    expect(written(result.file)).toEqual(JSON.parse(JSON.stringify([prepared.release.namespaceObject, ...prepared.release.objects])));
  });

  it('renders an aws environment from its outputs with every real value', () => {
    const outputs = fakeOutputs('dev', { certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc', podRoleArn: 'arn:aws:iam::123456789012:role/web' });
    const result = run({ env: 'dev', outputsFile: writeOutputsFile('dev', outputs) });
    const text = readFileSync(result.file, 'utf8');
    expect(text).not.toMatch(/placeholder/);
    expect(text).toContain('arn:aws:acm:eu-west-1:123456789012:certificate/abc');
  });

  it('never writes the OIDC client Secret of prod: names it and where it comes from', () => {
    const outputs = fakeOutputs('prod');
    // Production renders only images by digest (as the deploy command; config checkDeployImage).
    const result = run({ env: 'prod', image: `registry.example/web@sha256:${'d'.repeat(64)}`, outputsFile: writeOutputsFile('prod', outputs) });
    expect(written(result.file).map((o) => o.kind)).not.toContain('Secret');
    expect(readFileSync(result.file, 'utf8')).not.toMatch(/clientSecret:/);
    expect(result.notes.join('\n')).toContain(`Secret web-oidc-client (keys clientID, clientSecret) must exist in namespace web`);
    expect(result.notes.join('\n')).toContain(outputs.userPoolClientSecretArn);
  });

  it('writes the folder again over its own earlier output', () => {
    const dir = out();
    run({ outDir: dir });
    run({ outDir: dir, image: 'registry.example/web:1.4.3' });
    expect(readFileSync(join(dir, RENDERED_FILE), 'utf8')).toContain('registry.example/web:1.4.3');
  });
});

describe('npm run render refuses, writing nothing', () => {
  it('fails for an unknown environment, listing the allowed ones', () => {
    expect(refused({ env: 'qa' })).toMatch(/unknown environment "qa"; allowed: "dev" \(aws\), .*"generic" \(portable\)/);
  });

  it('fails for a mutable or malformed image', () => {
    expect(refused({ image: 'registry.example/web:latest' })).toMatch(/--image: .*latest/);
    expect(refused({ image: 'web' })).toMatch(/--image/);
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
