/**
 * `npm run export:helm` checked with a real helm (Helm's release binary from an npm dependency, or built from the Go
 * module proxy, by scripts/helm.sh, which `npm test`'s pretest runs): lint passes, `helm template` equals `npm run render` object for object for every workload,
 * an unset image fails with the `required` message naming the workload, and each changed value lands where it should
 * (and nowhere else); a misspelled workload or value is refused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { renderTarget } from '../../../charts/app';
import { exportHelmChart, imageRequiredMessage } from '../../../deploy/export/helm-chart';
import { renderRelease } from '../../../deploy/export/manifest-files';
import { config } from '../fixtures';

const root = resolve(__dirname, '../../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
const helm = execFileSync('bash', [join(root, 'scripts/helm.sh'), '--path'], { encoding: 'utf8' }).trim();
const image = 'registry.example/web:1.4.2';
const generic = config.portableTargets.find((t) => t.name === 'generic')!;
const workloads = generic.workloads.map((w) => w.name);
/** `--set workloads.<name>.image=<ref>` for every workload of the generic target. */
const images = (ref = image) => workloads.map((w) => `workloads.${w}.image=${ref}`);

type Obj = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec?: any };
const byKey = (objects: Obj[]) => Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]));

let chartDir: string;
beforeAll(() => {
  chartDir = join(mkdtempSync(join(tmpdir(), 'helm-test-')), pkg.name);
  exportHelmChart({ target: 'generic', name: pkg.name, version: pkg.version, outDir: chartDir }, { config, render: renderTarget });
});

function template(...set: string[]): { code: number; objects: Obj[]; stderr: string } {
  const r = spawnSync(helm, ['template', 'web', chartDir, ...set.flatMap((s) => ['--set', s])], { encoding: 'utf8' });
  return { code: r.status ?? 1, objects: r.status === 0 ? (loadAll(r.stdout).filter(Boolean) as Obj[]) : [], stderr: r.stderr };
}

const isMigration = (o: Obj) => o.metadata?.annotations?.['platform.local/phase'] === 'migration';

/** What `npm run render` writes, but for the migrations (the chart leaves them out: see its NOTES). */
function rendered(): Obj[] {
  const dir = join(mkdtempSync(join(tmpdir(), 'helm-render-')), 'out');
  const { files } = renderRelease({ env: 'generic', images: [`app=${image}`], outDir: dir }, { config, render: renderTarget, repoRoot: root });
  return files.flatMap((file) => loadAll(readFileSync(file, 'utf8')).filter(Boolean) as Obj[]).filter((o) => !isMigration(o));
}

describe('npm run export:helm', () => {
  it('names and versions the chart like package.json', () => {
    expect(load(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'))).toMatchObject({ apiVersion: 'v2', name: pkg.name, version: pkg.version, appVersion: pkg.version });
  });

  it('passes helm lint', () => {
    const r = spawnSync(helm, ['lint', chartDir], { encoding: 'utf8' });
    expect({ code: r.status, out: r.stdout }).toEqual({ code: 0, out: expect.stringContaining('1 chart(s) linted, 0 chart(s) failed') });
  });

  it('helm template with the same images equals npm run render of the generic target, object for object, for every workload', () => {
    expect(workloads).toEqual(['web', 'worker', 'prune']);
    const r = template(...images());
    expect(r.code).toBe(0);
    const expected = rendered();
    expect(r.objects).toHaveLength(expected.length);
    expect(byKey(r.objects)).toEqual(byKey(expected));
    // Every workload's objects are there (its controller among them), not only the first service's.
    for (const w of generic.workloads) {
      expect(Object.keys(byKey(r.objects))).toContain(`${w.kind === 'cronJob' ? 'CronJob' : 'Deployment'}/web/${w.name}`);
    }
  });

  it("leaves web's migration out (Helm has no step between the new configuration and the pods) and says so in NOTES; the content-addressed ConfigMaps are in", () => {
    const r = template(...images());
    expect(r.objects.filter(isMigration)).toEqual([]);
    expect(r.objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^web-config-[0-9a-f]{10}$/), expect.stringMatching(/^worker-config-[0-9a-f]{10}$/)]),
    );
    expect(readFileSync(join(chartDir, 'templates', 'NOTES.txt'), 'utf8')).toContain('web declares a migration, which this chart does not run: run it before upgrading');
  });

  it('every default in values.yaml is the rendered value; the images are required', () => {
    const values = load(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as { workloads: Record<string, { image: string; replicas?: unknown; resources: object }> };
    expect(Object.keys(values.workloads)).toEqual(workloads);
    const expected = byKey(rendered());
    expect(values.workloads.web.replicas).toEqual({
      min: expected['HorizontalPodAutoscaler/web/web'].spec.minReplicas,
      max: expected['HorizontalPodAutoscaler/web/web'].spec.maxReplicas,
    });
    expect(values.workloads.worker.replicas).toBe(expected['Deployment/web/worker'].spec.replicas);
    expect(values.workloads.prune.replicas).toBeUndefined();
    expect(values.workloads.prune.resources).toEqual(expected['CronJob/web/prune'].spec.jobTemplate.spec.template.spec.containers[0].resources);
    for (const w of workloads) expect(values.workloads[w].image).toBe('');
  });

  it('fails helm template with the required message, naming the workload, when an image is not set', () => {
    const r = template();
    expect(r.code).not.toBe(0);
    // helm stops at the first template that fails: one of the workloads, named.
    expect(workloads.some((w) => r.stderr.includes(imageRequiredMessage(w)))).toBe(true);
    const withoutPrune = template(...images().filter((s) => !s.startsWith('workloads.prune.')));
    expect(withoutPrune.code).not.toBe(0);
    expect(withoutPrune.stderr).toContain(imageRequiredMessage('prune'));
    expect(withoutPrune.stderr).not.toContain(imageRequiredMessage('worker'));
  });

  it('runs each workload on its own image', () => {
    const r = template(...images(), 'workloads.prune.image=registry.example/prune:2.0.0');
    expect(r.code).toBe(0);
    const got = byKey(r.objects);
    expect(got['CronJob/web/prune'].spec.jobTemplate.spec.template.spec.containers[0].image).toBe('registry.example/prune:2.0.0');
    expect(got['Deployment/web/web'].spec.template.spec.containers[0].image).toBe(image);
    expect(got['Deployment/web/worker'].spec.template.spec.containers[0].image).toBe(image);
  });

  it('puts each changed value where it belongs and changes nothing else', () => {
    const r = template(
      ...images(),
      'workloads.web.hostname=shop.example.org',
      'workloads.web.replicas.min=3',
      'workloads.web.replicas.max=9',
      'workloads.web.resources.requests.cpu=250m',
      'workloads.web.resources.limits.memory=256Mi',
      'workloads.worker.replicas=3',
      'workloads.worker.resources.limits.cpu=300m',
      'workloads.prune.resources.requests.memory=64Mi',
      'ingress.className=traefik',
      'ingress.controllerNamespace=traefik-system',
      'ingress.tls.secretName=shop-tls',
      'workloads.web.database.secretName=pg-app',
      'workloads.worker.database.secretName=pg-worker',
    );
    expect(r.code).toBe(0);
    const expected = byKey(rendered());
    const ingress = expected['Ingress/web/web'].spec;
    ingress.ingressClassName = 'traefik';
    ingress.rules[0].host = 'shop.example.org';
    ingress.tls = [{ hosts: ['shop.example.org'], secretName: 'shop-tls' }];
    const hpa = expected['HorizontalPodAutoscaler/web/web'].spec;
    hpa.minReplicas = 3;
    hpa.maxReplicas = 9;
    const container = expected['Deployment/web/web'].spec.template.spec.containers[0];
    container.resources.requests.cpu = '250m';
    container.resources.limits.memory = '256Mi';
    for (const env of container.env) if (env.valueFrom?.secretKeyRef) env.valueFrom.secretKeyRef.name = 'pg-app';
    // The credentials files come from the same Secret.
    for (const volume of expected['Deployment/web/web'].spec.template.spec.volumes) if (volume.secret) volume.secret.secretName = 'pg-app';
    const worker = expected['Deployment/web/worker'].spec;
    worker.replicas = 3;
    worker.template.spec.containers[0].resources.limits.cpu = '300m';
    for (const env of worker.template.spec.containers[0].env) if (env.valueFrom?.secretKeyRef) env.valueFrom.secretKeyRef.name = 'pg-worker';
    for (const volume of worker.template.spec.volumes) if (volume.secret) volume.secret.secretName = 'pg-worker';
    expected['CronJob/web/prune'].spec.jobTemplate.spec.template.spec.containers[0].resources.requests.memory = '64Mi';
    expected['NetworkPolicy/web/web'].spec.ingress[0].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'] = 'traefik-system';
    expect(byKey(r.objects)).toEqual(expected);
  });

  it('leaves the TLS section out when ingress.tls.secretName is empty', () => {
    const r = template(...images(), 'ingress.tls.secretName=');
    expect(r.code).toBe(0);
    const ingress = r.objects.find((o) => o.kind === 'Ingress');
    expect(ingress?.spec.tls).toBeUndefined();
    expect(ingress?.spec.rules[0].host).toBe('web.example.internal');
  });

  it('refuses what the deploy command refuses (values.schema.json): a mutable tag, no registry, zero replicas; and min > max', () => {
    for (const bad of ['registry.example/web:latest', 'registry.example/web:Main', 'web:1.0.0', 'registry.example/web']) {
      const r = template(...images(), `workloads.worker.image=${bad}`);
      expect([bad, r.code, r.stderr]).toEqual([bad, 1, expect.stringContaining("values don't meet the specifications of the schema")]);
      expect(r.stderr).toContain("at '/workloads/worker/image'");
    }
    expect(template(...images(`registry.example/web@sha256:${'a'.repeat(64)}`)).code).toBe(0);
    expect(template(...images(), 'workloads.web.replicas.min=0').stderr).toContain("at '/workloads/web/replicas/min': minimum: got 0, want 1");
    expect(template(...images(), 'workloads.web.replicas.min=5').stderr).toContain('workloads.web.replicas.min (5) is greater than workloads.web.replicas.max (4)');
    expect(template(...images(), 'workloads.web.hostname=not a host').stderr).toContain("at '/workloads/web/hostname'");
  });

  it('refuses a workload or a value the chart does not have (a misspelled name is not silently ignored)', () => {
    const r = template(...images(), 'workloads.wbe.image=registry.example/web:1.4.2');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
    expect(r.stderr).toMatch(/wbe/);
    const replicasOfCronJob = template(...images(), 'workloads.prune.replicas=2');
    expect(replicasOfCronJob.code).toBe(1);
    expect(replicasOfCronJob.stderr).toMatch(/replicas/);
  });

  it('exports a workload whose name holds "-" (templates reach it with index)', () => {
    const dashed = {
      ...config,
      portableTargets: config.portableTargets.map((t) => ({ ...t, workloads: t.workloads.map((w) => (w.name === 'prune' ? { ...w, name: 'nightly-prune' } : w)) })),
    };
    const dir = join(mkdtempSync(join(tmpdir(), 'helm-dashed-')), pkg.name);
    exportHelmChart({ target: 'generic', name: pkg.name, version: pkg.version, outDir: dir }, { config: dashed, render: renderTarget });
    const r = spawnSync(helm, ['template', 'web', dir, ...['web', 'worker', 'nightly-prune'].flatMap((w) => ['--set', `workloads.${w}.image=${image}`])], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const cronJob = (loadAll(r.stdout).filter(Boolean) as Obj[]).find((o) => o.kind === 'CronJob')!;
    expect(cronJob.metadata.name).toBe('nightly-prune');
    expect(cronJob.spec.jobTemplate.spec.template.spec.containers[0].image).toBe(image);
  });

  it('refuses to export an aws environment or an unknown target', () => {
    expect(() => exportHelmChart({ target: 'dev', name: 'x', version: '0.1.0', outDir: join(tmpdir(), 'never') }, { config, render: renderTarget })).toThrow(
      /--target "dev" is not a portable target \(allowed: "generic"\)/,
    );
  });
});
