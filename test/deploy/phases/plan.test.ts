import { DEFAULT_CANARY } from '../../../config';
import { planRelease } from '../../../deploy/phases/plan';
import { prepare } from '../../../deploy/phases/prepare';
import { config, fakeOutputs, fakeRender, options, writeOutputsFile } from '../fixtures';

describe('release plan', () => {
  test('prod releases with its canary (the configured default), sized from minReplicas; the generic target rolls', () => {
    const prod = prepare(options({ env: 'prod', image: `registry.local/web@sha256:${'a'.repeat(64)}`, outputsFile: writeOutputsFile('prod', fakeOutputs('prod')) }), {
      config,
      render: fakeRender,
    });
    const plan = planRelease(prod, { namespaceObject: prod.release.namespaceObject, exists: true }, []);
    expect(plan.strategy).toEqual({ kind: 'canary', ...DEFAULT_CANARY });
    expect(plan.canary).toMatchObject({ kind: 'Deployment', metadata: { name: 'web-canary' }, spec: { replicas: 1 } });
    const generic = prepare(options({ image: 'registry.local/web:1.0.0' }), { config, render: fakeRender });
    expect(planRelease(generic, { exists: true }, [])).toMatchObject({ strategy: { kind: 'rolling' }, canary: undefined, namespaceObject: undefined });
  });
});
