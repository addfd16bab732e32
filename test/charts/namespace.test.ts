import { renderTarget } from '../../charts/app';
import { find, IMAGE, platformConfig } from './helpers';

describe('Namespace', () => {
  test.each(['dev', 'staging', 'prod', 'generic'])('%s enforces, audits and warns on Pod Security restricted', (target) => {
    const ns = find(renderTarget(platformConfig, target, { images: { app: IMAGE } }).objects, 'Namespace');
    const version = target === 'generic' ? 'latest' : 'v1.35';
    expect(ns.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': version,
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/audit-version': version,
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/warn-version': version,
    });
  });

  test.each(['dev', 'staging', 'prod'])('%s (aws) carries the ALB pod readiness gate label', (target) => {
    const ns = find(renderTarget(platformConfig, target, { images: { app: IMAGE } }).objects, 'Namespace');
    expect(ns.metadata.labels['elbv2.k8s.aws/pod-readiness-gate-inject']).toBe('enabled');
  });

  test('generic does not carry the ALB pod readiness gate label', () => {
    const ns = find(renderTarget(platformConfig, 'generic', { images: { app: IMAGE } }).objects, 'Namespace');
    expect(Object.keys(ns.metadata.labels).filter((k) => k.startsWith('elbv2'))).toEqual([]);
  });
});
