import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failed, ok } from '../../../deploy/adapters/cluster';
import { EXIT } from '../../../deploy/errors';
import type { KubeObject } from '../../../deploy/manifests';
import { DEFAULT_CANARY } from '../../../config';
import { canaryDeployment } from '../../../deploy/canary/deployment';
import { diffRelease, dryRunRelease, writeReviewCopy } from '../../../deploy/phases/review';
import { FakeCluster } from '../fake-cluster';
import { collect, phaseContext, plan, refusal, webPlan } from './support';

const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-oidc-client', namespace: 'web' }, stringData: { clientSecret: 'do-not-print-me' } };

describe('review', () => {
  test('the review copy holds every object, the Namespace first, with Secret values redacted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-review-'));
    const file = writeReviewCopy(phaseContext(new FakeCluster(), { workdir: dir }), plan({}, [secret]), 'rendered for generic, image registry.local/web:1.0.1');
    expect(file).toBe(join(dir, '.deploy', 'generic', 'manifests.yaml'));
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe('# rendered for generic, image registry.local/web:1.0.1 — what npm run deploy applies (Secret values redacted)');
    expect(text).not.toContain('do-not-print-me');
    expect(text).toContain('clientSecret: <redacted>');
    expect(text.indexOf('kind: Namespace')).toBeLessThan(text.indexOf('kind: Deployment'));
  });

  test('--diff leaves out deferred RoleBindings and fails with exit 3 when kubectl diff errs', async () => {
    const cluster = new FakeCluster();
    cluster.diffReply = ok('');
    const { lines, log } = collect();
    await diffRelease(phaseContext(cluster, { log }), plan(), []);
    expect(lines).toEqual(['diff: no changes']);
    cluster.diffReply = failed('error: unable to recognize');
    expect(await refusal(diffRelease(phaseContext(cluster, { log }), plan(), []))).toEqual({
      exitCode: EXIT.clusterUnreachable,
      message: 'kubectl diff failed: error: unable to recognize',
    });
  });

  test('--dry-run runs the ApplySet apply on the server (pruning shown), and only when the Namespace exists', async () => {
    const cluster = new FakeCluster();
    await dryRunRelease(phaseContext(cluster), plan(), []);
    expect(cluster.calls).toEqual([
      'apply --dry-run --applyset=platform-namespace NetworkPolicy/default-deny',
      'apply --dry-run --applyset=platform-release-web ConfigMap/web,Deployment/web',
    ]);
    const missing = new FakeCluster();
    const { lines, log } = collect();
    await dryRunRelease(phaseContext(missing, { log }), plan({ namespaceExists: false }), []);
    expect(missing.calls).toEqual([]);
    expect(lines).toEqual(['dry run: nothing was changed']);
    cluster.applyReply = () => failed('Error from server: admission webhook denied');
    expect(await refusal(dryRunRelease(phaseContext(cluster), plan(), []))).toEqual({
      exitCode: EXIT.invalidInput,
      message: 'server-side dry run of ApplySet platform-namespace failed:\n  Error from server: admission webhook denied',
    });
  });

  test('a canary release: --dry-run, --diff and the review copy show the canary Deployment (outside the ApplySet)', async () => {
    const web = webPlan();
    const canaryPlan = plan({ workloads: [{ ...web, strategy: { kind: 'canary', ...DEFAULT_CANARY }, canary: canaryDeployment(web.deployment, 1) }] });
    const cluster = new FakeCluster();
    const { lines, log } = collect();
    await dryRunRelease(phaseContext(cluster, { log }), canaryPlan, []);
    expect(cluster.calls).toEqual([
      'apply --dry-run --applyset=platform-namespace NetworkPolicy/default-deny',
      'apply --dry-run --applyset=platform-release-web ConfigMap/web,Deployment/web',
      'apply --dry-run Deployment/web-canary',
    ]);
    expect(lines[2]).toBe('deployment/web-canary serverside-applied (canary: 25 % of the pods during the analysis)');
    await diffRelease(phaseContext(cluster, { log }), canaryPlan, []);
    expect(cluster.calls.at(-1)).toBe('diff 5');
    const text = readFileSync(writeReviewCopy(phaseContext(cluster, { workdir: mkdtempSync(join(tmpdir(), 'deploy-review-')) }), canaryPlan, 'x'), 'utf8');
    expect(text).toMatch(
      /# the canary Deployment, for the analysis only \(not part of the release's ApplySet\)\napiVersion: apps\/v1\nkind: Deployment\nmetadata:\n {2}name: web-canary/,
    );
  });
});
