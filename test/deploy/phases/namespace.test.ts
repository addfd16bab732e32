import { failed, ok } from '../../../deploy/adapters/cluster';
import { EXIT } from '../../../deploy/errors';
import { namespaceAccess } from '../../../deploy/phases/namespace';
import { FakeCluster } from '../fake-cluster';
import { collect, liveNamespace, phaseContext, prepared, refusal } from './support';

const wanted = prepared().release.namespaceObject!;

describe('namespace access', () => {
  test('applies the Namespace when the credentials may patch it', async () => {
    const cluster = new FakeCluster();
    cluster.namespaceReply = liveNamespace({});
    const access = await namespaceAccess(phaseContext(cluster), 'web', wanted);
    expect(access).toEqual({ namespaceObject: wanted, exists: true });
    expect(cluster.calls).toContain('canI patch namespaces/web -n web');
  });

  test('creates a missing Namespace when the credentials may create namespaces', async () => {
    const cluster = new FakeCluster();
    const access = await namespaceAccess(phaseContext(cluster), 'web', wanted);
    expect(access).toEqual({ namespaceObject: wanted, exists: false });
    expect(cluster.calls).toContain('canI create namespaces');
  });

  test('leaves the Namespace alone without patch rights, naming the labels it lacks', async () => {
    const cluster = new FakeCluster();
    cluster.namespaceReply = liveNamespace({ 'pod-security.kubernetes.io/enforce': 'baseline' });
    cluster.permissions['patch namespaces/web'] = ok(false);
    const { lines, log } = collect();
    const access = await namespaceAccess(phaseContext(cluster, { log }), 'web', wanted);
    expect(access).toEqual({ exists: true });
    expect(lines.join('\n')).toMatch(
      /may not change Namespace web .*leaving it as it is; it lacks .*pod-security.kubernetes.io\/enforce=restricted — set them where the Namespace is created/,
    );
  });

  test('says the labels match when the left-alone Namespace already has them', async () => {
    const cluster = new FakeCluster();
    cluster.namespaceReply = liveNamespace({ ...wanted.metadata.labels });
    cluster.permissions['patch namespaces/web'] = ok(false);
    const { lines, log } = collect();
    await namespaceAccess(phaseContext(cluster, { log }), 'web', wanted);
    expect(lines).toEqual([expect.stringMatching(/leaving it as it is \(its labels match the release\)$/)]);
  });

  test('assumes the Namespace exists when the credentials may not even read it', async () => {
    const cluster = new FakeCluster();
    cluster.namespaceReply = failed('namespaces "web" is forbidden: User "ci" cannot get resource "namespaces"');
    const { lines, log } = collect();
    expect(await namespaceAccess(phaseContext(cluster, { log }), 'web', wanted)).toEqual({ exists: true });
    expect(lines[0]).toMatch(/may not read Namespace web .*assuming it exists/);
    expect(cluster.calls.filter((c) => c.startsWith('canI'))).toEqual([]);
  });

  test('an unclear can-i answer lets the apply decide (the Namespace stays in the release)', async () => {
    const cluster = new FakeCluster();
    cluster.namespaceReply = liveNamespace({});
    cluster.permissions['patch namespaces/web'] = failed('the server is currently unable to handle the request');
    expect((await namespaceAccess(phaseContext(cluster), 'web', wanted)).namespaceObject).toBe(wanted);
  });

  test('fails when the Namespace is missing and may not be created (exit 2, nothing applied)', async () => {
    const cluster = new FakeCluster();
    cluster.permissions['create namespaces'] = ok(false);
    const r = await refusal(namespaceAccess(phaseContext(cluster), 'web', wanted));
    expect(r).toEqual({
      exitCode: EXIT.invalidInput,
      message: expect.stringMatching(/^namespace web does not exist and these credentials may not create it .*\(nothing applied\)$/),
    });
  });

  test('fails when the Namespace cannot be read for another reason (exit 3)', async () => {
    const cluster = new FakeCluster();
    cluster.namespaceReply = failed('Unable to connect to the server: i/o timeout');
    expect(await refusal(namespaceAccess(phaseContext(cluster), 'web', wanted))).toEqual({
      exitCode: EXIT.clusterUnreachable,
      message: 'cannot read namespace web: Unable to connect to the server: i/o timeout',
    });
  });

  test('--manifests without a Namespace: nothing to decide, the live one only tells whether it exists', async () => {
    const cluster = new FakeCluster();
    cluster.namespaceReply = liveNamespace({});
    expect(await namespaceAccess(phaseContext(cluster), 'web', undefined)).toEqual({ exists: true });
    expect(cluster.calls).toEqual(['getNamespace web']);
  });
});
