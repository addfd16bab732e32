import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll, YAML11_SCHEMA } from 'js-yaml';
import { APPLY_ORDER, applyRank, PLACEHOLDER_PATTERN } from '../../config';
import { listTargets, MANIFEST_FILE, renderTarget, synthManifests } from '../../charts/app';
import { find, IMAGE, platformConfig, realOutputs } from './helpers';

const TARGETS = ['dev', 'staging', 'prod', 'generic'];

describe('renderTarget', () => {
  test.each(TARGETS)('renders %s in the shared apply order (config APPLY_ORDER), then by name', (target) => {
    const { objects } = renderTarget(platformConfig, target, { image: IMAGE }) as { objects: { kind: string; metadata: { name: string } }[] };
    const ranks = objects.map((o) => applyRank(o.kind));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(objects.every((o) => APPLY_ORDER.includes(o.kind))).toBe(true);
    const roles = objects.map((o) => o.kind).filter((k) => k === 'Role' || k === 'RoleBinding');
    if (target === 'prod') expect(roles).toEqual(['Role', 'RoleBinding']);
  });

  test('lists every environment and portable target', () => {
    expect(listTargets(platformConfig)).toEqual([
      { name: 'dev', kind: 'aws' },
      { name: 'staging', kind: 'aws' },
      { name: 'prod', kind: 'aws' },
      { name: 'generic', kind: 'generic' },
    ]);
  });

  test.each(TARGETS)('%s: yaml and objects describe the same objects, read with YAML 1.2 and 1.1 (kubectl) rules alike, Namespace first', (target) => {
    const { yaml, objects } = renderTarget(platformConfig, target, { image: IMAGE, outputs: target === 'generic' ? undefined : realOutputs(platformConfig, target) });
    expect(loadAll(yaml).filter(Boolean)).toEqual(JSON.parse(JSON.stringify(objects)));
    expect(loadAll(yaml, { schema: YAML11_SCHEMA }).filter(Boolean)).toEqual(JSON.parse(JSON.stringify(objects)));
    expect((objects[0] as { kind: string }).kind).toBe('Namespace');
  });

  test('is deterministic', () => {
    const a = renderTarget(platformConfig, 'prod', { image: IMAGE, outputs: realOutputs(platformConfig, 'prod') }).yaml;
    const b = renderTarget(platformConfig, 'prod', { image: IMAGE, outputs: realOutputs(platformConfig, 'prod') }).yaml;
    expect(a).toBe(b);
  });

  test('with the real outputs, an aws target carries no placeholder', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const { yaml } = renderTarget(platformConfig, env, { image: IMAGE, outputs: realOutputs(platformConfig, env) });
      expect(yaml.match(PLACEHOLDER_PATTERN)).toBeNull();
    }
  });

  test('the generic target needs no outputs and carries no placeholder once given an image', () => {
    expect(renderTarget(platformConfig, 'generic', { image: IMAGE }).yaml.match(PLACEHOLDER_PATTERN)).toBeNull();
  });

  test('without outputs, an aws target carries marked placeholders', () => {
    const { yaml } = renderTarget(platformConfig, 'dev', { image: IMAGE });
    const fields = new Set([...yaml.matchAll(PLACEHOLDER_PATTERN)].map((m) => m[1]));
    expect([...fields].sort()).toEqual(['account', 'bucketName', 'certificateArn', 'databaseEndpoint', 'databasePort', 'userPoolArn', 'userPoolClientId', 'userPoolDomain']);
  });

  test('the image goes into the Deployment as given', () => {
    const { objects } = renderTarget(platformConfig, 'staging', { image: IMAGE });
    expect(find(objects, 'Deployment').spec.template.spec.containers[0].image).toBe(IMAGE);
  });

  test('fails when the target is unknown, listing the allowed targets', () => {
    expect(() => renderTarget(platformConfig, 'qa', { image: IMAGE })).toThrow('unknown target "qa"; allowed: "dev", "staging", "prod", "generic"');
  });

  test.each([
    ['', 'image reference is ""'],
    ['registry.example.com/web:latest', 'mutable tag "latest"'],
    ['registry.example.com/web', 'neither tag nor digest'],
    ['web:1.2.3', 'has no registry'],
    ['Registry.example.com/Web:1.0', 'is malformed'],
    ['registry.example.com/web@sha256:abc', 'is malformed'],
    ['registry.example.com/web:1.0 ', 'is malformed'],
    ['<placeholder:image>', 'is malformed'],
  ])('fails when the image reference is %j', (image, message) => {
    expect(() => renderTarget(platformConfig, 'dev', { image })).toThrow(message);
  });

  test('fails when the outputs belong to another environment', () => {
    expect(() => renderTarget(platformConfig, 'dev', { image: IMAGE, outputs: realOutputs(platformConfig, 'staging') })).toThrow(
      'outputs.environment is "staging" but environment "dev" expects "dev"',
    );
  });

  test('fails when outputs are given for a portable target', () => {
    expect(() => renderTarget(platformConfig, 'generic', { image: IMAGE, outputs: realOutputs(platformConfig, 'dev') })).toThrow('takes no AWS stack outputs');
  });

  test('fails when prod has fewer than 2 replicas', () => {
    const config = {
      ...platformConfig,
      environments: platformConfig.environments.map((e) => (e.name === 'prod' ? { ...e, workload: { ...e.workload, minReplicas: 1 } } : e)),
    };
    expect(() => renderTarget(config, 'prod', { image: IMAGE })).toThrow('minReplicas is 1 in production; production needs at least 2 replicas');
  });

  test('fails when the hostname is missing', () => {
    const config = {
      ...platformConfig,
      environments: platformConfig.environments.map((e) => (e.name === 'dev' ? { ...e, workload: { ...e.workload, hostname: '' } } : e)),
      portableTargets: platformConfig.portableTargets.map((t) => ({ ...t, workload: { ...t.workload, hostname: undefined as unknown as string } })),
    };
    expect(() => renderTarget(config, 'dev', { image: IMAGE })).toThrow('hostname is missing');
    expect(() => renderTarget(config, 'generic', { image: IMAGE })).toThrow('hostname is missing');
  });
});

describe('synthManifests', () => {
  let outdir: string;
  beforeEach(() => {
    outdir = mkdtempSync(join(tmpdir(), 'manifests-'));
  });
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  test('writes one folder per target, with the placeholder image', () => {
    const { files } = synthManifests(platformConfig, { outdir });
    expect(files).toEqual(TARGETS.map((t) => join(outdir, t, MANIFEST_FILE)));
    for (const file of files) expect(readFileSync(file, 'utf8')).toContain('image: <placeholder:image>');
  });

  test('removes stale files and folders of removed targets', () => {
    mkdirSync(join(outdir, 'dev'), { recursive: true });
    writeFileSync(join(outdir, 'dev', 'old.k8s.yaml'), 'kind: ConfigMap\n');
    mkdirSync(join(outdir, 'qa'));
    writeFileSync(join(outdir, 'qa', 'web.k8s.yaml'), 'kind: ConfigMap\n');
    synthManifests(platformConfig, { outdir });
    expect(readdirSync(join(outdir, 'dev'))).toEqual([MANIFEST_FILE]);
    expect(existsSync(join(outdir, 'qa'))).toBe(false);
  });

  test('removes only manifest files: anything else in a target folder, and folders holding anything else, stay', () => {
    mkdirSync(join(outdir, 'dev', 'notes'), { recursive: true });
    writeFileSync(join(outdir, 'dev', 'README.md'), 'mine\n');
    mkdirSync(join(outdir, 'docs'));
    writeFileSync(join(outdir, 'docs', 'a.yaml'), 'kind: ConfigMap\n');
    writeFileSync(join(outdir, 'docs', 'b.txt'), 'mine\n');
    synthManifests(platformConfig, { outdir });
    expect(readdirSync(join(outdir, 'dev')).sort()).toEqual(['README.md', MANIFEST_FILE, 'notes'].sort());
    expect(readdirSync(join(outdir, 'docs')).sort()).toEqual(['a.yaml', 'b.txt']);
  });

  test('the committed manifests/ equal a fresh synth (run `npm run synth` after changing charts/ or config/)', () => {
    synthManifests(platformConfig, { outdir });
    const committed = join(__dirname, '..', '..', 'manifests');
    expect(readdirSync(committed).sort()).toEqual([...TARGETS].sort());
    for (const target of TARGETS) {
      expect(readdirSync(join(committed, target))).toEqual([MANIFEST_FILE]);
      expect(readFileSync(join(committed, target, MANIFEST_FILE), 'utf8')).toBe(readFileSync(join(outdir, target, MANIFEST_FILE), 'utf8'));
    }
  });
});
