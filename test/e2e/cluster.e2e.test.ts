/**
 * The local control plane itself (what cluster/smoke.sh checked that the deploy suite does not): the versions it was
 * built from, nodes in several zones, and the KWOK stage that keeps an annotated pod un-Ready.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { kubectl, kubectlJson, root } from './helpers';

const versions = Object.fromEntries(
  readFileSync(join(root, 'cluster', 'versions.env'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z0-9_]+=/.test(l))
    .map((l) => l.split('=') as [string, string]),
);

describe('local control plane', () => {
  test('the API server runs the Kubernetes version of cluster/versions.env (the EKS minor)', async () => {
    const version = JSON.parse((await kubectl(['get', '--raw=/version'])).stdout) as { gitVersion: string };
    expect(version.gitVersion).toBe(versions.K8S_VERSION);
  });

  test('at least 3 Ready nodes in at least 2 zones (so zone spread is exercised)', async () => {
    const nodes = (await kubectlJson(['get', 'nodes'])).items as { metadata: { labels: Record<string, string> }; status: { conditions: { type: string; status: string }[] } }[];
    const ready = nodes.filter((n) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
    expect(ready.length).toBeGreaterThanOrEqual(3);
    expect(new Set(ready.map((n) => n.metadata.labels['topology.kubernetes.io/zone'])).size).toBeGreaterThanOrEqual(2);
  });

  test('a pod annotated platform.local/simulate=not-ready runs but never becomes Ready', async () => {
    const ns = `simulate-${Date.now()}`;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'annotated-not-ready', namespace: ns, annotations: { 'platform.local/simulate': 'not-ready' } },
      spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image: 'registry.local/web:1.0.0' }] },
    };
    expect((await kubectl(['create', 'namespace', ns])).code).toBe(0);
    try {
      await waitFor(async () => (await kubectl(['get', 'serviceaccount', 'default', '-n', ns])).code === 0, 60);
      const created = await kubectl(['apply', '-f', '-'], dump(pod));
      expect(created.stderr).toBe('');
      const state = async () => {
        const p = await kubectlJson(['get', 'pod', 'annotated-not-ready', '-n', ns]);
        return `${p.status.phase} Ready=${p.status.conditions?.find((c: { type: string }) => c.type === 'Ready')?.status}`;
      };
      await waitFor(async () => (await state()) === 'Running Ready=False', 30);
      // And it stays so (a few seconds more).
      await new Promise((r) => setTimeout(r, 3000));
      expect(await state()).toBe('Running Ready=False');
    } finally {
      await kubectl(['delete', 'namespace', ns, '--wait=false']);
    }
  });
});

async function waitFor(condition: () => Promise<boolean>, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${seconds}s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
