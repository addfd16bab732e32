/**
 * The judge of the scanners' results (scripts/scan-report.ts), on documents shaped like checkov's and kube-score's
 * JSON output. The scanners themselves run in `npm run scan` (with its self-check), not here: tests stay fast.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkovFindings, findingsOf, judge, kubeScoreFindings, parseSkips, type Skip } from '../../scripts/scan-report';

const checkov = [
  {
    check_type: 'cloudformation',
    results: {
      failed_checks: [
        { check_id: 'CKV_AWS_116', check_name: 'DLQ', file_path: '/platform-dev.template.json', resource: 'AWS::Lambda::Function.ApiFunction6BF808ED' },
        { check_id: 'CKV_AWS_117', check_name: 'VPC', file_path: '/platform-dev.template.json', resource: 'AWS::Lambda::Function.NewFunction12345678' },
      ],
    },
  },
  {
    check_type: 'kubernetes',
    results: { failed_checks: [{ check_id: 'CKV_K8S_16', check_name: 'privileged', file_path: '/manifests/generic/web.k8s.yaml', resource: 'Deployment.web.web' }] },
  },
];
const kubeScore = [
  {
    object_name: 'Deployment/apps/v1/web/web',
    file_name: '/repo/manifests/dev/web.k8s.yaml',
    checks: [
      { check: { id: 'container-image-pull-policy', name: 'Container Image Pull Policy' }, grade: 1, skipped: false },
      { check: { id: 'deployment-has-host-podantiaffinity', name: 'anti-affinity' }, grade: 5, skipped: false },
      { check: { id: 'container-resources', name: 'Container Resources' }, grade: 10, skipped: false },
      { check: { id: 'container-seccomp-profile', name: 'seccomp' }, grade: 1, skipped: true },
    ],
  },
];
const skip = (tool: Skip['tool'], check: string, resource: string): Skip => ({ tool, check, resource, reason: 'a reviewed reason, long enough to read' });

describe('scan report', () => {
  it('reads checkov and kube-score findings with file-qualified resources; kube-score OK grades and skipped checks are not findings', () => {
    expect(checkovFindings(checkov).map((f) => `${f.check} ${f.resource}`)).toEqual([
      'CKV_AWS_116 platform-dev.template.json:AWS::Lambda::Function.ApiFunction6BF808ED',
      'CKV_AWS_117 platform-dev.template.json:AWS::Lambda::Function.NewFunction12345678',
      'CKV_K8S_16 manifests/generic/web.k8s.yaml:Deployment.web.web',
    ]);
    expect(kubeScoreFindings(kubeScore, '/repo').map((f) => `${f.check} ${f.resource}`)).toEqual([
      'container-image-pull-policy manifests/dev/web.k8s.yaml:Deployment/apps/v1/web/web',
      'deployment-has-host-podantiaffinity manifests/dev/web.k8s.yaml:Deployment/apps/v1/web/web',
    ]);
    expect(findingsOf(JSON.stringify(checkov))).toHaveLength(3);
  });

  it('fails on any finding no skip covers, matching tool, check and resource (patterns with *)', () => {
    const findings = [...checkovFindings(checkov), ...kubeScoreFindings(kubeScore, '/repo')];
    const skips = [
      skip('checkov', 'CKV_AWS_116', 'platform-*.template.json:AWS::Lambda::Function.ApiFunction*'),
      skip('checkov', 'CKV_AWS_117', 'platform-*.template.json:AWS::Lambda::Function.ApiFunction*'), // another function: no cover
      skip('kube-score', 'container-image-pull-policy', 'manifests/*/web.k8s.yaml:Deployment/apps/v1/web/web'),
      skip('checkov', 'container-image-pull-policy', 'manifests/*/web.k8s.yaml:Deployment/apps/v1/web/web'), // wrong tool
    ];
    const report = judge(findings, skips);
    expect(report.unacknowledged.map((f) => f.check)).toEqual(['CKV_AWS_117', 'CKV_K8S_16', 'deployment-has-host-podantiaffinity']);
    expect(report.unused).toEqual([skips[1], skips[3]]);
    expect(report.countsByTool).toEqual({ checkov: 3, 'kube-score': 2 });
    expect(judge(findings.slice(0, 1), skips).unacknowledged).toEqual([]);
  });

  it('refuses a skip without a tool, a named resource or a real reason', () => {
    expect(() => parseSkips([{ tool: 'trivy', check: 'X', resource: 'a', reason: 'long enough reason here' }])).toThrow(
      'skip #1 ("X"): tool is "trivy"; allowed: checkov, kube-score',
    );
    expect(() => parseSkips([{ tool: 'checkov', check: 'X', resource: '*', reason: 'long enough reason here' }])).toThrow(/resource is "\*"; name the resource/);
    expect(() => parseSkips([{ tool: 'checkov', check: 'X', resource: 'a:b', reason: 'because' }])).toThrow(/reason is "because"; give the reviewed reason/);
    expect(() => parseSkips({})).toThrow(/expected a JSON array/);
  });

  it('the committed skip list is valid, every entry names one check and a resource, and no two entries are the same', () => {
    const skips = parseSkips(JSON.parse(readFileSync(join(__dirname, '..', '..', 'scripts', 'scan-skips.json'), 'utf8')));
    expect(skips.length).toBeGreaterThan(0);
    expect(skips.length).toBeLessThanOrEqual(25); // short and reviewed
    const keys = skips.map((s) => `${s.tool} ${s.check} ${s.resource}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
