import { DEFAULT_CANARY } from '../../../config';
import { planRelease, type DeploymentPlan } from '../../../deploy/phases/plan';
import { prepare } from '../../../deploy/phases/prepare';
import { config, fakeOutputs, fakeRender, options, writeOutputsFile } from '../fixtures';

describe('release plan', () => {
  test('prod releases web with its canary (the configured default), sized from minReplicas; the generic target rolls', () => {
    const prod = prepare(
      options({ env: 'prod', image: `registry.local/web@sha256:${'a'.repeat(64)}`, outputsFile: writeOutputsFile('prod', fakeOutputs('prod')), workloads: ['web'] }),
      { config, render: fakeRender },
    );
    const web = planRelease(prod, { namespaceObject: prod.release.namespaceObject, exists: true }, []).workloads[0] as DeploymentPlan;
    expect(web.strategy).toEqual({ kind: 'canary', ...DEFAULT_CANARY });
    expect(web.canary).toMatchObject({ kind: 'Deployment', metadata: { name: 'web-canary' }, spec: { replicas: 1 } });
    const generic = prepare(options({ image: 'registry.local/web:1.0.0', workloads: ['web'] }), { config, render: fakeRender });
    expect(planRelease(generic, { exists: true }, [])).toMatchObject({ workloads: [{ strategy: { kind: 'rolling' }, canary: undefined }], namespaceObject: undefined });
  });

  test('one ApplySet per workload, the namespace-level objects (and deploy-time Secrets) in their own; a worker and a CronJob never canary', () => {
    const prod = prepare(options({ env: 'prod', image: `registry.local/web@sha256:${'a'.repeat(64)}`, outputsFile: writeOutputsFile('prod', fakeOutputs('prod')) }), {
      config,
      render: fakeRender,
    });
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'alb-oidc-client', namespace: 'web' } };
    const plan = planRelease(prod, { exists: true }, [secret]);
    expect(plan.namespaceSet).toEqual({ objects: [secret, expect.objectContaining({ kind: 'NetworkPolicy' })], pruned: true });
    expect(plan.workloads.map((w) => [w.name, w.kind, w.applySet.name, w.kind === 'cronJob' ? 'cronJob' : w.strategy.kind])).toEqual([
      ['web', 'service', 'platform-release-web', 'canary'],
      ['worker', 'worker', 'platform-release-worker', 'rolling'],
      ['prune', 'cronJob', 'platform-release-prune', 'cronJob'],
    ]);
  });
});
