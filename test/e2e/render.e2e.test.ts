/**
 * The "kubectl apply" path without the deploy command: `npm run render` output applied with a plain
 * `kubectl apply --server-side -f <dir>` rolls out on the local control plane, and a second render + apply rolls
 * the new image out. On KWOK nodes the pods are simulated (no container runs), so "serves" is checked as far as the
 * cluster can tell: the Service gets ready endpoints for the new pods.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl, kubectlJson, root, scheduleOn } from './helpers';

const NS = 'web';

function render(image: string, out: string): string {
  const r = spawnSync(process.execPath, [join(root, 'dist', 'render.js'), '--env', 'generic', '--image', image, '--out', out], { cwd: root, encoding: 'utf8' });
  expect({ code: r.status, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  return r.stdout;
}

async function rolloutStatus(): Promise<void> {
  const r = await kubectl(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=180s']);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
}

async function readyEndpoints(): Promise<string[]> {
  const slices = await kubectlJson<{ items: { endpoints?: { addresses: string[]; conditions?: { ready?: boolean }; targetRef?: { name: string } }[] }[] }>([
    'get',
    'endpointslices',
    '-n',
    NS,
    '-l',
    'kubernetes.io/service-name=web',
  ]);
  return slices.items
    .flatMap((s) => s.endpoints ?? [])
    .filter((e) => e.conditions?.ready)
    .map((e) => e.targetRef?.name ?? e.addresses[0]);
}

const cleanUp = () => kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=180s']);

// Simulated pods (the image is not on the real node): the KWOK nodes take this suite's pods.
beforeAll(async () => {
  await scheduleOn('kwok');
  await cleanUp();
});
afterAll(cleanUp);

test('plain kubectl apply --server-side of rendered generic manifests rolls out, and rolls a new image out', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'render-e2e-')), 'generic');
  const stdout = render('registry.local/web:1.0.0', out);
  expect(stdout).toContain('Secret web-database');

  const applied = await kubectl(['apply', '--server-side', '-f', out]);
  expect({ code: applied.code, stderr: applied.stderr }).toEqual({ code: 0, stderr: '' }); // no Pod Security warning either
  expect(applied.stdout).toMatch(/^namespace\/web serverside-applied$/m);
  expect(applied.stdout).toMatch(/^deployment\.apps\/web serverside-applied$/m);
  // The Secret the render named (never written by it): created by the operator.
  const secret = await kubectl([
    'create',
    'secret',
    'generic',
    'web-database',
    '-n',
    NS,
    '--from-literal=host=db.local',
    '--from-literal=port=5432',
    '--from-literal=dbname=web',
    '--from-literal=username=web',
    '--from-literal=password=e2e-only',
  ]);
  expect(secret.code).toBe(0);
  await rolloutStatus();
  const first = await kubectlJson(['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/name=web']);
  expect(first.items.map((p: any) => p.spec.containers[0].image)).toContain('registry.local/web:1.0.0');
  expect((await readyEndpoints()).length).toBeGreaterThan(0);

  render('registry.local/web:1.1.0', out);
  const again = await kubectl(['apply', '--server-side', '-f', out]);
  expect(again.code).toBe(0);
  await rolloutStatus();
  const deployment = await kubectlJson(['get', 'deployment', 'web', '-n', NS]);
  expect(deployment.spec.template.spec.containers[0].image).toBe('registry.local/web:1.1.0');
  expect(deployment.status.updatedReplicas).toBe(deployment.status.availableReplicas);
  const pods = await kubectlJson(['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/name=web', '--field-selector=status.phase=Running']);
  const ready = await readyEndpoints();
  const newPods = pods.items.filter((p: any) => p.spec.containers[0].image === 'registry.local/web:1.1.0').map((p: any) => p.metadata.name);
  expect(newPods.length).toBeGreaterThan(0);
  expect(ready).toEqual(expect.arrayContaining(newPods));
});
