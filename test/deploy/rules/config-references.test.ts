/** The ConfigMaps a pod template reads, wherever it names them. */
import type { KubeObject } from '../../../deploy/manifests';
import { configMapsOf, unreferencedConfigs } from '../../../deploy/rules/config-references';

const podSpec = {
  initContainers: [{ name: 'init', envFrom: [{ configMapRef: { name: 'from-init' } }] }],
  containers: [
    {
      name: 'web',
      envFrom: [{ configMapRef: { name: 'from-env-from' } }, { secretRef: { name: 's' } }],
      env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'from-key', key: 'a' } } }],
    },
  ],
  volumes: [
    { name: 'v', configMap: { name: 'from-volume' } },
    { name: 'p', projected: { sources: [{ configMap: { name: 'from-projected' } }, { secret: { name: 's' } }] } },
  ],
};

describe('configMapsOf', () => {
  test.each([
    ['ReplicaSet', { template: { spec: podSpec } }],
    ['Job', { template: { spec: podSpec } }],
    ['CronJob', { jobTemplate: { spec: { template: { spec: podSpec } } } }],
    ['Pod', podSpec],
  ])('a %s: envFrom, env values, volumes and projected volumes, of every container', (kind, spec) => {
    const object: KubeObject = { apiVersion: 'v1', kind, metadata: { name: 'x' }, spec };
    expect(configMapsOf(object).sort()).toEqual(['from-env-from', 'from-init', 'from-key', 'from-projected', 'from-volume']);
  });

  test('an object without a pod template reads none', () => {
    expect(configMapsOf({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [] } })).toEqual([]);
  });
});

test('unreferencedConfigs: neither read by an owner nor kept', () => {
  const cm = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
  const owner: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs' }, spec: { template: { spec: podSpec } } };
  expect(unreferencedConfigs([cm('from-volume'), cm('kept'), cm('gone')], [owner], ['kept']).map((c) => c.metadata.name)).toEqual(['gone']);
});
