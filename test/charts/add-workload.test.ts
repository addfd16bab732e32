/**
 * Adding a workload is one entry in config (issue 21), the manifest and Helm side: the shipped configuration plus
 * the internal service `ledger` (its own schema, a read-only bucket prefix, called by `web`) in every target. The
 * cloud side of the same entry (role, association, database role, storage grant, alarms, outputs) is
 * test/infra/add-workload.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderTarget } from '../../charts/app';
import { validatePlatformConfig, type ServiceWorkload } from '../../config';
import { exportHelmChart } from '../../deploy/export/helm-chart';
import { find, IMAGE, platformConfig, realOutputs, withExtraWorkloads } from './helpers';

const LEDGER: ServiceWorkload = {
  kind: 'service',
  name: 'ledger',
  image: 'app',
  exposure: { kind: 'internal' },
  port: 8081,
  minReplicas: 2,
  maxReplicas: 3,
  cpuMillis: 100,
  memoryMiB: 128,
  database: { ownSchema: true },
  storage: { prefix: 'ledger/', access: 'read' },
  allowFrom: ['web'],
};
const config = validatePlatformConfig(withExtraWorkloads(platformConfig, LEDGER));

describe.each(['dev', 'prod', 'generic'])('%s with one more entry (ledger)', (target) => {
  const rendered = renderTarget(config, target, { images: { app: IMAGE }, outputs: target === 'generic' ? undefined : realOutputs(config, target) });
  const file = rendered.files.find((f) => f.workload === 'ledger');

  test('gets a file of its own with its ServiceAccount, settings, Deployment, Service, autoscaler and disruption budget, and no Ingress', () => {
    expect(file?.file).toBe('ledger.k8s.yaml');
    const kinds = (file!.objects as { kind: string; metadata: { name: string } }[]).map((o) => `${o.kind}/${o.metadata.name.replace(/-config-[0-9a-f]{10}$/, '-config-<hash>')}`);
    expect(kinds).toEqual([
      'ServiceAccount/ledger',
      'ConfigMap/ledger-config-<hash>',
      'NetworkPolicy/ledger',
      'Service/ledger',
      'Deployment/ledger',
      'HorizontalPodAutoscaler/ledger',
      'PodDisruptionBudget/ledger',
    ]);
    const deployment = find(file!.objects, 'Deployment', 'ledger');
    expect(deployment.spec.template.spec.serviceAccountName).toBe('ledger');
    expect(deployment.spec.template.spec.containers[0].readinessProbe.httpGet.port).toBe(8081);
  });

  test('its NetworkPolicy admits web on its port, and web may reach it; nobody else gains an edge', () => {
    const ledger = find(rendered.objects, 'NetworkPolicy', 'ledger');
    expect(ledger.spec.ingress[0]).toEqual({ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } } }], ports: [{ protocol: 'TCP', port: 8081 }] });
    expect(find(rendered.objects, 'NetworkPolicy', 'web').spec.egress).toContainEqual({
      to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ledger' } } }],
      ports: [{ protocol: 'TCP', port: 8081 }],
    });
    for (const other of ['worker', 'prune']) expect(JSON.stringify(find(rendered.objects, 'NetworkPolicy', other))).not.toContain('ledger');
  });

  test('its settings name its own database user and bucket prefix (AWS) or its own database Secret (generic)', () => {
    const settings = find(rendered.objects, 'ConfigMap', 'ledger').data;
    if (target === 'generic') {
      expect(settings.DATABASE_AUTH).toBe('files');
      expect(JSON.stringify(find(rendered.objects, 'Deployment', 'ledger').spec.template.spec)).toContain('"ledger-database"');
    } else {
      expect(settings).toMatchObject({ DATABASE_AUTH: 'iam', DATABASE_USERNAME: 'ledger', BUCKET_PREFIX: 'ledger/', IDENTITY_SOURCE: 'none' });
    }
  });
});

test('the Helm chart gets values for it (image, replicas, resources, database Secret)', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'helm-ledger-'));
  try {
    const chart = exportHelmChart({ target: 'generic', name: 'platform', version: '0.1.0', outDir }, { config, render: renderTarget });
    expect(Object.keys(chart.values.workloads)).toEqual(['web', 'worker', 'prune', 'ledger']);
    expect(chart.values.workloads.ledger).toMatchObject({ replicas: { min: 2, max: 3 }, database: { secretName: 'ledger-database' } });
    expect(JSON.stringify(chart.values.workloads.ledger.resources)).toContain('128Mi');
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
