import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll, YAML11_SCHEMA } from 'js-yaml';
import { APPLY_ORDER, applyRank, PLACEHOLDER_PATTERN } from '../../config';
import { listTargets, NAMESPACE_FILE, renderTarget, synthManifests, workloadFile } from '../../charts/app';
import type { ServiceWorkload } from '../../config';
import { find, IMAGE, platformConfig, realOutputs, withWorkload } from './helpers';

/** The files of every target of the shipped configuration: the namespace's, then one per workload. */
const FILES = [NAMESPACE_FILE, workloadFile('web'), workloadFile('worker'), workloadFile('prune')];

const TARGETS = ['dev', 'staging', 'prod', 'generic'];

describe('renderTarget', () => {
  test.each(TARGETS)('renders %s in the shared apply order (config APPLY_ORDER), then by name', (target) => {
    const { objects } = renderTarget(platformConfig, target, { images: { app: IMAGE } }) as { objects: { kind: string; metadata: { name: string } }[] };
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
    const { yaml, objects } = renderTarget(platformConfig, target, { images: { app: IMAGE }, outputs: target === 'generic' ? undefined : realOutputs(platformConfig, target) });
    expect(loadAll(yaml).filter(Boolean)).toEqual(JSON.parse(JSON.stringify(objects)));
    expect(loadAll(yaml, { schema: YAML11_SCHEMA }).filter(Boolean)).toEqual(JSON.parse(JSON.stringify(objects)));
    expect((objects[0] as { kind: string }).kind).toBe('Namespace');
  });

  test('is deterministic', () => {
    const a = renderTarget(platformConfig, 'prod', { images: { app: IMAGE }, outputs: realOutputs(platformConfig, 'prod') }).yaml;
    const b = renderTarget(platformConfig, 'prod', { images: { app: IMAGE }, outputs: realOutputs(platformConfig, 'prod') }).yaml;
    expect(a).toBe(b);
  });

  test('with the real outputs, an aws target carries no placeholder', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const { yaml } = renderTarget(platformConfig, env, { images: { app: IMAGE }, outputs: realOutputs(platformConfig, env) });
      expect(yaml.match(PLACEHOLDER_PATTERN)).toBeNull();
    }
  });

  test('the generic target needs no outputs and carries no placeholder once given an image', () => {
    expect(renderTarget(platformConfig, 'generic', { images: { app: IMAGE } }).yaml.match(PLACEHOLDER_PATTERN)).toBeNull();
  });

  test('without outputs, an aws target carries marked placeholders', () => {
    const { yaml } = renderTarget(platformConfig, 'dev', { images: { app: IMAGE } });
    const fields = new Set([...yaml.matchAll(PLACEHOLDER_PATTERN)].map((m) => m[1]));
    expect([...fields].sort()).toEqual(['account', 'bucketName', 'certificateArn', 'databaseEndpoint', 'databasePort', 'userPoolArn', 'userPoolClientId', 'userPoolDomain']);
  });

  test('the image goes into every workload as given', () => {
    const { objects } = renderTarget(platformConfig, 'staging', { images: { app: IMAGE } });
    expect(find(objects, 'Deployment').spec.template.spec.containers[0].image).toBe(IMAGE);
  });

  test('fails when the target is unknown, listing the allowed targets', () => {
    expect(() => renderTarget(platformConfig, 'qa', { images: { app: IMAGE } })).toThrow('unknown target "qa"; allowed: "dev", "staging", "prod", "generic"');
  });

  test.each([
    ['', 'image reference is ""'],
    ['registry.example.com/web:latest', 'mutable tag "latest"'],
    ['registry.example.com/web', 'neither tag nor digest'],
    ['web:1.2.3', 'has no registry'],
    ['Registry.example.com/Web:1.0', 'is malformed'],
    ['registry.example.com/web@sha256:abc', 'is malformed'],
    ['registry.example.com/web:1.0 ', 'is malformed'],
    ['<placeholder:image-app>', 'is malformed'],
  ])('fails when the image reference is %j', (image, message) => {
    expect(() => renderTarget(platformConfig, 'dev', { images: { app: image } })).toThrow(message);
  });

  test('fails when the outputs belong to another environment', () => {
    expect(() => renderTarget(platformConfig, 'dev', { images: { app: IMAGE }, outputs: realOutputs(platformConfig, 'staging') })).toThrow(
      'outputs.environment is "staging" but environment "dev" expects "dev"',
    );
  });

  test('fails when outputs are given for a portable target', () => {
    expect(() => renderTarget(platformConfig, 'generic', { images: { app: IMAGE }, outputs: realOutputs(platformConfig, 'dev') })).toThrow('takes no AWS stack outputs');
  });

  test('fails when prod has fewer than 2 replicas', () => {
    const config = withWorkload(platformConfig, 'web', (w) => ({ ...w, minReplicas: 1 }) as ServiceWorkload, ['prod']);
    expect(() => renderTarget(config, 'prod', { images: { app: IMAGE } })).toThrow('minReplicas is 1 in production; production needs at least 2 replicas');
  });

  test('fails when a public service has neither host nor path', () => {
    const config = withWorkload(platformConfig, 'web', (w) => ({ ...w, exposure: { kind: 'public' } }) as ServiceWorkload);
    expect(() => renderTarget(config, 'dev', { images: { app: IMAGE } })).toThrow('the ALB rule needs a hostname or a path');
    expect(() => renderTarget(config, 'generic', { images: { app: IMAGE } })).toThrow('the Ingress rule needs a hostname or a path');
  });

  test('refuses an image name the configuration does not declare, and a workload whose image was given no reference', () => {
    expect(() => renderTarget(platformConfig, 'generic', { images: { app: IMAGE, api: IMAGE } })).toThrow('image name "api" is not declared; allowed: "app"');
    expect(() => renderTarget(platformConfig, 'generic', { images: {} })).toThrow('workload "web" runs image "app", which was given no reference; give --image app=<ref>');
  });

  test('one file per workload plus the namespace file, each holding only its own objects', () => {
    const { files, objects } = renderTarget(platformConfig, 'dev', { images: { app: IMAGE } });
    expect(files.map((f) => f.file)).toEqual(FILES);
    expect(files.map((f) => f.workload)).toEqual([undefined, 'web', 'worker', 'prune']);
    expect((files[0].objects as { kind: string }[]).map((o) => o.kind)).toEqual(['Namespace', 'NetworkPolicy']);
    for (const file of files.slice(1)) {
      // Each named after its workload: the content-addressed ConfigMap and the migration's objects with a suffix.
      const names = new Set((file.objects as { metadata: { name: string } }[]).map((o) => o.metadata.name.replace(/-(config|migrate)-[0-9a-f]{10}$|-migration$/, '')));
      expect([...names]).toEqual([file.workload]);
    }
    expect(new Set(objects)).toEqual(new Set(files.flatMap((f) => f.objects)));
  });

  test('each kind gets its own objects: a service its Service, HPA and PDB (web its migration Job and policy); a worker no Service; a CronJob only a CronJob', () => {
    const { files } = renderTarget(platformConfig, 'generic', { images: { app: IMAGE } });
    const kinds = (workload: string) => (files.find((f) => f.workload === workload)!.objects as { kind: string }[]).map((o) => o.kind);
    expect(kinds('web')).toEqual([
      'ServiceAccount',
      'ConfigMap',
      'NetworkPolicy',
      'NetworkPolicy',
      'Service',
      'Deployment',
      'Job',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Ingress',
    ]);
    expect(kinds('worker')).toEqual(['ServiceAccount', 'ConfigMap', 'NetworkPolicy', 'Deployment', 'PodDisruptionBudget']);
    expect(kinds('prune')).toEqual(['ServiceAccount', 'ConfigMap', 'NetworkPolicy', 'CronJob']);
  });
});

describe('synthManifests', () => {
  let outdir: string;
  beforeEach(() => {
    outdir = mkdtempSync(join(tmpdir(), 'manifests-'));
  });
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  test('writes one folder per target, one file per workload with the placeholder of its image', () => {
    const { files } = synthManifests(platformConfig, { outdir });
    expect(files).toEqual(TARGETS.flatMap((t) => FILES.map((f) => join(outdir, t, f))));
    for (const file of files.filter((f) => !f.endsWith(NAMESPACE_FILE))) expect(readFileSync(file, 'utf8')).toContain('image: <placeholder:image-app>');
  });

  test('removes stale files and folders of removed targets', () => {
    mkdirSync(join(outdir, 'dev'), { recursive: true });
    writeFileSync(join(outdir, 'dev', 'old.k8s.yaml'), 'kind: ConfigMap\n');
    mkdirSync(join(outdir, 'qa'));
    writeFileSync(join(outdir, 'qa', 'web.k8s.yaml'), 'kind: ConfigMap\n');
    synthManifests(platformConfig, { outdir });
    expect(readdirSync(join(outdir, 'dev')).sort()).toEqual([...FILES].sort());
    expect(existsSync(join(outdir, 'qa'))).toBe(false);
  });

  test('removes only manifest files: anything else in a target folder, and folders holding anything else, stay', () => {
    mkdirSync(join(outdir, 'dev', 'notes'), { recursive: true });
    writeFileSync(join(outdir, 'dev', 'README.md'), 'mine\n');
    mkdirSync(join(outdir, 'docs'));
    writeFileSync(join(outdir, 'docs', 'a.yaml'), 'kind: ConfigMap\n');
    writeFileSync(join(outdir, 'docs', 'b.txt'), 'mine\n');
    synthManifests(platformConfig, { outdir });
    expect(readdirSync(join(outdir, 'dev')).sort()).toEqual(['README.md', ...FILES, 'notes'].sort());
    expect(readdirSync(join(outdir, 'docs')).sort()).toEqual(['a.yaml', 'b.txt']);
  });

  test('the committed manifests/ equal a fresh synth (run `npm run synth` after changing charts/ or config/)', () => {
    synthManifests(platformConfig, { outdir });
    const committed = join(__dirname, '..', '..', 'manifests');
    expect(readdirSync(committed).sort()).toEqual([...TARGETS].sort());
    for (const target of TARGETS) {
      expect(readdirSync(join(committed, target)).sort()).toEqual([...FILES].sort());
      for (const file of FILES) expect(readFileSync(join(committed, target, file), 'utf8')).toBe(readFileSync(join(outdir, target, file), 'utf8'));
    }
  });
});
