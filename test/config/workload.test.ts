import { Chart, Testing } from 'cdk8s';
import { renderTarget } from '../../charts/app';
import { WebService } from '../../charts/web-service';
import {
  APPLY_ORDER,
  applyRank,
  ConfigError,
  platformConfig,
  validatePlatformConfig,
  WORKLOAD_LIMITS,
  workloadNamespaceLabels,
  workloadSizingProblems,
  type ServiceWorkload,
} from '../../config';
import { withWorkload } from '../charts/helpers';
import { prepareRelease, type KubeObject } from '../../deploy/manifests';

const sizing = { minReplicas: 2, maxReplicas: 4, cpuMillis: 100, memoryMiB: 128 };
const FIELDS = ['minReplicas', 'maxReplicas', 'cpuMillis', 'memoryMiB'] as const;

describe('workload sizing rules', () => {
  test('accepts sizing inside the limits', () => expect(workloadSizingProblems(sizing, true)).toEqual([]));

  test('fails when a field is outside its limits, naming the field, the value and the range', () => {
    expect(workloadSizingProblems({ ...sizing, cpuMillis: 5 }, false, 'workload.')).toEqual(['workload.cpuMillis is 5; expected a whole number from 10 to 16000']);
    expect(workloadSizingProblems({ ...sizing, memoryMiB: 1.5 }, false)).toEqual(['memoryMiB is 1.5; expected a whole number from 32 to 65536']);
    expect(workloadSizingProblems({ ...sizing, minReplicas: undefined as unknown as number }, false)).toEqual(['minReplicas is missing; it is required']);
  });

  test('fails when maxReplicas is below minReplicas, and when production runs fewer than 2', () => {
    expect(workloadSizingProblems({ ...sizing, minReplicas: 3, maxReplicas: 2 }, false)).toEqual(['maxReplicas is 2; it must be at least minReplicas (3)']);
    expect(workloadSizingProblems({ ...sizing, minReplicas: 1 }, true)[0]).toMatch(/^minReplicas is 1 in production; production needs at least 2 replicas/);
    expect(workloadSizingProblems({ ...sizing, minReplicas: 1 }, false)).toEqual([]);
  });

  // The same limits in the three places that enforce them: an environment, a portable target, the chart itself.
  test.each(FIELDS)('%s: one past the limit is refused by config validation (environments and portable targets) and by the chart', (field) => {
    const tooBig = { ...sizing, maxReplicas: WORKLOAD_LIMITS.maxReplicas.max, [field]: WORKLOAD_LIMITS[field].max + 1 };
    const atLimit = { ...sizing, maxReplicas: WORKLOAD_LIMITS.maxReplicas.max, [field]: WORKLOAD_LIMITS[field].max };
    const withWeb = (w: Partial<ServiceWorkload>) => withWorkload(platformConfig, 'web', (web) => ({ ...web, ...w }) as ServiceWorkload, ['dev', 'generic']);
    const problems = (() => {
      try {
        validatePlatformConfig(withWeb(tooBig));
        return [];
      } catch (e) {
        return [...(e as ConfigError).problems];
      }
    })();
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^environment "dev", workload "web": ${field} is ${tooBig[field]}; expected a whole number`)),
      expect.stringMatching(new RegExp(`^portable target "generic", workload "web": ${field} is ${tooBig[field]}; expected a whole number`)),
    ]);
    expect(() => validatePlatformConfig(withWeb(atLimit))).not.toThrow();
    const chart = (w: typeof sizing) => () => new WebService(new Chart(Testing.app(), 'test'), 'Web', { name: 'web', namespace: 'web', image: 'registry.local/web:1.0.0', ...w });
    expect(chart(tooBig)).toThrow(new RegExp(`^${field} is ${tooBig[field]}`));
    expect(chart(atLimit)).not.toThrow();
  });
});

describe('namespace labels', () => {
  test('Pod Security restricted in every mode, pinned to the version; the readiness gate only when asked', () => {
    expect(workloadNamespaceLabels({ podSecurityVersion: 'v1.35', albPodReadinessGate: false })).toEqual({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'v1.35',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/audit-version': 'v1.35',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/warn-version': 'v1.35',
    });
    expect(workloadNamespaceLabels({ podSecurityVersion: 'latest', albPodReadinessGate: true })['elbv2.k8s.aws/pod-readiness-gate-inject']).toBe('enabled');
  });
});

describe('apply order', () => {
  test('a Role before its RoleBinding, what the Deployment reads before it; unknown kinds last', () => {
    for (const [first, then] of [
      ['Role', 'RoleBinding'],
      ['Secret', 'Deployment'],
      ['ConfigMap', 'Deployment'],
      ['ServiceAccount', 'Deployment'],
      ['Namespace', 'ServiceAccount'],
    ]) {
      expect(applyRank(first)).toBeLessThan(applyRank(then));
    }
    expect(applyRank('Job')).toBe(APPLY_ORDER.length);
  });

  test.each(['prod', 'generic'])('%s: the deploy command applies the objects in the order the chart renders them', (target) => {
    const rendered = renderTarget(platformConfig, target, { images: { app: 'registry.local/web:1.0.0' } }).objects as KubeObject[];
    const shuffled = [...rendered].reverse();
    const release = prepareRelease(shuffled, 'web', target);
    expect(release.objects.map((o) => o.kind)).toEqual(rendered.filter((o) => o.kind !== 'Namespace').map((o) => o.kind));
  });
});
