/** Which objects of the rendered release are ApplySet members, configuration or migrations. */
import { renderTarget } from '../../../charts/app';
import type { KubeObject } from '../../../deploy/manifests';
import { migrationAdmissionPods, splitReleasePhases } from '../../../deploy/rules/release-phases';
import { config } from '../fixtures';

const objects = renderTarget(config, 'generic', { images: { app: 'registry.local/web:1.0.1' } }).objects as KubeObject[];
const refs = (list: readonly KubeObject[]) => list.map((o) => `${o.kind}/${o.metadata.name.replace(/-[0-9a-f]{10}$/, '-<hash>')}`);

describe('splitReleasePhases', () => {
  test("the content-addressed ConfigMaps and web's migration (Job, NetworkPolicy) leave the ApplySet; everything else stays", () => {
    const { members, configs, migrations } = splitReleasePhases(objects);
    expect(refs(configs)).toEqual(['ConfigMap/prune-config-<hash>', 'ConfigMap/web-config-<hash>', 'ConfigMap/worker-config-<hash>']);
    expect(migrations.map((m) => [m.workload, ...refs([m.job]), refs(m.prerequisites), m.serviceAccount?.metadata.name])).toEqual([
      ['web', 'Job/web-migrate-<hash>', ['NetworkPolicy/web-migration'], 'web'],
    ]);
    expect(members.some((o) => o.kind === 'ConfigMap' || o.kind === 'Job' || o.metadata.name === 'web-migration')).toBe(false);
    expect(members.length + configs.length + 2).toBe(objects.length);
    expect(refs(members)).toEqual(expect.arrayContaining(['Deployment/web', 'ServiceAccount/web', 'NetworkPolicy/web', 'CronJob/prune']));
  });

  test('refuses a migration object it cannot place (hand-edited manifests): nothing is applied half-way', () => {
    const stray: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x', namespace: 'web', annotations: { 'platform.local/phase': 'migration' } } };
    expect(() => splitReleasePhases([...objects, stray])).toThrow('Secret/x -n web: annotated platform.local/phase: migration but belong to no migration Job');
    const job = objects.find((o) => o.kind === 'Job')!;
    const unlabelled = { ...job, metadata: { ...job.metadata, labels: {} } };
    expect(() => splitReleasePhases([unlabelled])).toThrow(/has no platform.local\/migration-of label naming its workload/);
  });
});

test("migrationAdmissionPods: a Pod of each migration Job's template (its restricted security context), naming no ServiceAccount", () => {
  const job = objects.find((o) => o.kind === 'Job')!;
  const pods = migrationAdmissionPods(objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: 'web' } })));
  expect(pods).toHaveLength(1);
  const template = (job.spec as { template: { spec: Record<string, unknown> } }).template.spec;
  expect(pods[0]).toMatchObject({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${job.metadata.name}-admission-check`, namespace: 'web', labels: { 'platform.local/migration-of': 'web' } },
  });
  const { serviceAccountName, ...rest } = template;
  expect(serviceAccountName).toBe('web');
  expect(pods[0].spec).toEqual(rest);
  expect(migrationAdmissionPods(objects.filter((o) => o.kind !== 'Job'))).toEqual([]);
});
