import { bindingsToReleaseRoles, findPlaceholders, namespaceLabelDrift, prepareRelease, RELEASE_LABEL, type KubeObject } from '../../deploy/manifests';

test('findPlaceholders names the fields per source, and nothing for clean text', () => {
  expect(findPlaceholders([{ name: 'x', text: 'a: b' }])).toEqual([]);
  expect(findPlaceholders([{ name: 'y', text: 'a: <placeholder:bucketName>\nb: <placeholder:apiUrl> <placeholder:bucketName>' }])).toEqual([
    { source: 'y', fields: ['apiUrl', 'bucketName'] },
  ]);
});

describe('namespace-scoped credentials (pure parts)', () => {
  const namespace: KubeObject = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: 'web',
      labels: {
        'app.kubernetes.io/part-of': 'platform',
        [RELEASE_LABEL]: 'prod',
        'pod-security.kubernetes.io/enforce': 'restricted',
        'elbv2.k8s.aws/pod-readiness-gate-inject': 'enabled',
      },
    },
  };

  test('names the Namespace labels the live Namespace lacks or has otherwise (not the informational ones)', () => {
    expect(
      namespaceLabelDrift(namespace, { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'elbv2.k8s.aws/pod-readiness-gate-inject': 'enabled' } } }),
    ).toEqual([]);
    expect(namespaceLabelDrift(namespace, { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } })).toEqual([
      'elbv2.k8s.aws/pod-readiness-gate-inject=enabled',
      'pod-security.kubernetes.io/enforce=restricted',
    ]);
    expect(namespaceLabelDrift(namespace, {})).toHaveLength(2);
  });

  test('finds the RoleBindings that bind a Role of the same release, and orders the Role first', () => {
    const rbac = 'rbac.authorization.k8s.io/v1';
    const objects: KubeObject[] = [
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } },
      { apiVersion: rbac, kind: 'RoleBinding', metadata: { name: 'reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' } },
      { apiVersion: rbac, kind: 'RoleBinding', metadata: { name: 'admin' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' } },
      { apiVersion: rbac, kind: 'RoleBinding', metadata: { name: 'other' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'elsewhere' } },
      { apiVersion: rbac, kind: 'Role', metadata: { name: 'reader' }, rules: [] },
    ];
    expect(bindingsToReleaseRoles(objects).map((b) => [b.binding.metadata.name, b.role])).toEqual([['reader', 'reader']]);
    const release = prepareRelease(objects, 'web', 'prod');
    const kinds = release.objects.map((o) => o.kind);
    expect(kinds.indexOf('Role')).toBeLessThan(kinds.indexOf('RoleBinding'));
  });
});
