/**
 * `npm run export:helm` checked with a real helm (built from the Go module proxy by scripts/helm.sh, which
 * `npm test`'s pretest runs): lint passes, `helm template` equals `npm run render` object for object, an unset image
 * fails with the `required` message, and each changed value lands where it should (and nowhere else).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { renderTarget } from '../../../charts/app';
import { exportHelmChart, IMAGE_REQUIRED_MESSAGE } from '../../../deploy/export/helm-chart';
import { renderRelease } from '../../../deploy/export/manifest-files';
import { config } from '../fixtures';

const root = resolve(__dirname, '../../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
const helm = execFileSync('bash', [join(root, 'scripts/helm.sh'), '--path'], { encoding: 'utf8' }).trim();
const image = 'registry.example/web:1.4.2';

type Obj = { kind: string; metadata: { name: string; namespace?: string }; spec?: any };
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

function rendered(): Obj[] {
  const dir = join(mkdtempSync(join(tmpdir(), 'helm-render-')), 'out');
  const { file } = renderRelease({ env: 'generic', image, outDir: dir }, { config, render: renderTarget, repoRoot: root });
  return loadAll(readFileSync(file, 'utf8')).filter(Boolean) as Obj[];
}

describe('npm run export:helm', () => {
  it('names and versions the chart like package.json', () => {
    expect(load(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'))).toMatchObject({ apiVersion: 'v2', name: pkg.name, version: pkg.version, appVersion: pkg.version });
  });

  it('passes helm lint', () => {
    const r = spawnSync(helm, ['lint', chartDir], { encoding: 'utf8' });
    expect({ code: r.status, out: r.stdout }).toEqual({ code: 0, out: expect.stringContaining('1 chart(s) linted, 0 chart(s) failed') });
  });

  it('helm template with the same image equals npm run render of the generic target, object for object', () => {
    const r = template(`image=${image}`);
    expect(r.code).toBe(0);
    const expected = rendered();
    expect(r.objects).toHaveLength(expected.length);
    expect(byKey(r.objects)).toEqual(byKey(expected));
  });

  it('fails helm template with the required message when the image is not set', () => {
    const r = template();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(IMAGE_REQUIRED_MESSAGE);
  });

  it('puts each changed value where it belongs and changes nothing else', () => {
    const r = template(
      `image=${image}`,
      'hostname=shop.example.org',
      'replicas.min=3',
      'replicas.max=9',
      'resources.requests.cpu=250m',
      'resources.limits.memory=256Mi',
      'ingress.className=traefik',
      'ingress.controllerNamespace=traefik-system',
      'ingress.tls.secretName=shop-tls',
      'database.secretName=pg-app',
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
    expected['NetworkPolicy/web/web'].spec.ingress[0].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'] = 'traefik-system';
    expect(byKey(r.objects)).toEqual(expected);
  });

  it('leaves the TLS section out when ingress.tls.secretName is empty', () => {
    const r = template(`image=${image}`, 'ingress.tls.secretName=');
    expect(r.code).toBe(0);
    const ingress = r.objects.find((o) => o.kind === 'Ingress');
    expect(ingress?.spec.tls).toBeUndefined();
    expect(ingress?.spec.rules[0].host).toBe('web.example.internal');
  });

  it('refuses what the deploy command refuses (values.schema.json): a mutable tag, no registry, zero replicas; and min > max', () => {
    for (const bad of ['image=registry.example/web:latest', 'image=registry.example/web:Main', 'image=web:1.0.0', 'image=registry.example/web']) {
      const r = template(bad);
      expect([bad, r.code, r.stderr]).toEqual([bad, 1, expect.stringContaining("values don't meet the specifications of the schema")]);
      expect(r.stderr).toContain("at '/image'");
    }
    expect(template(`image=registry.example/web@sha256:${'a'.repeat(64)}`).code).toBe(0);
    expect(template(`image=${image}`, 'replicas.min=0').stderr).toContain("at '/replicas/min': minimum: got 0, want 1");
    expect(template(`image=${image}`, 'replicas.min=5').stderr).toContain('replicas.min (5) is greater than replicas.max (4)');
    expect(template(`image=${image}`, 'hostname=not a host').stderr).toContain("at '/hostname'");
  });

  it('refuses to export an aws environment or an unknown target', () => {
    expect(() => exportHelmChart({ target: 'dev', name: 'x', version: '0.1.0', outDir: join(tmpdir(), 'never') }, { config, render: renderTarget })).toThrow(
      /--target "dev" is not a portable target \(allowed: "generic"\)/,
    );
  });
});
