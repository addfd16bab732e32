import { canaryDeployment, canaryName, canaryReplicas, TRACK_LABEL } from '../../../deploy/canary/deployment';
import { prepared } from '../phases/support';

describe('canary objects', () => {
  test('replicas: the share of canary / (canary + stable), at least one pod', () => {
    expect(canaryReplicas(3, 25)).toBe(1);
    expect(canaryReplicas(6, 25)).toBe(2);
    expect(canaryReplicas(2, 50)).toBe(2);
    expect(canaryReplicas(2, 1)).toBe(1);
    expect(canaryReplicas(0, 25)).toBe(1);
  });

  test('the canary Deployment: same pod template and image, its own name, the track label on selector and pods', () => {
    const stable = prepared('registry.local/web:2.0.0').workloads[0].owner as any;
    const canary = canaryDeployment(stable, 1) as any;
    expect(canary.metadata.name).toBe(canaryName('web'));
    expect(canary.metadata.name).toBe('web-canary');
    expect(canary.spec.replicas).toBe(1);
    expect(canary.spec.template.spec).toEqual(stable.spec.template.spec);
    expect(canary.spec.selector.matchLabels).toEqual({ ...stable.spec.selector.matchLabels, [TRACK_LABEL]: 'canary' });
    expect(canary.spec.template.metadata.labels).toEqual({ ...stable.spec.template.metadata.labels, [TRACK_LABEL]: 'canary' });
    // The Service selects the stable pods' labels: the canary's pods carry them all, so it serves them too.
    for (const [k, v] of Object.entries(stable.spec.selector.matchLabels)) expect(canary.spec.template.metadata.labels[k]).toBe(v);
    expect(stable.metadata.name).toBe('web');
    expect(stable.spec.selector.matchLabels[TRACK_LABEL]).toBeUndefined();
  });
});
