import { failed } from '../../../deploy/adapters/cluster';
import { EXIT } from '../../../deploy/errors';
import { acquireLock, holdLock, leaseObject, LOCK_DURATION_SECONDS, lockState, withLocks, workloadLock } from '../../../deploy/phases/lock';
import { FakeCluster } from '../fake-cluster';
import { collect, phaseContext, refusal } from './support';

const T0 = new Date('2026-12-01T21:00:00.000Z');
const WEB = workloadLock('web', 'web');
const LOCK_NAME = 'platform-deploy-lock-web';
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe('deploy lock (a Lease per workload in the namespace)', () => {
  test('a free workload: the lock is created with who holds it and since when', async () => {
    const cluster = new FakeCluster();
    const { lines, log } = collect();
    await acquireLock(phaseContext(cluster, { lockHolder: 'ci run 42 (dev)', now: () => T0, log }), WEB);
    const lease = cluster.store.get(`Lease/web/${LOCK_NAME}`) as any;
    expect(lease.spec).toEqual({
      holderIdentity: 'ci run 42 (dev)',
      acquireTime: '2026-12-01T21:00:00.000000Z',
      renewTime: '2026-12-01T21:00:00.000000Z',
      leaseDurationSeconds: LOCK_DURATION_SECONDS,
    });
    expect(lines).toEqual([`deploy lock: Lease ${LOCK_NAME} in web held by ci run 42 (dev)`]);
  });

  test('fails when another deploy holds it (exit 6), naming the holder, since when and when it expires', async () => {
    const cluster = new FakeCluster();
    await acquireLock(phaseContext(cluster, { lockHolder: 'alice@laptop pid 7', now: () => T0 }), WEB);
    const r = await refusal(acquireLock(phaseContext(cluster, { lockHolder: 'ci run 43', now: () => at(30) }), WEB));
    expect(r).toEqual({
      exitCode: EXIT.locked,
      message: `another deploy holds the lock of workload web in namespace web (Lease ${LOCK_NAME}): alice@laptop pid 7, since 2026-12-01T21:00:00.000000Z; it expires at 2026-12-01T21:01:00.000Z unless renewed. Nothing applied.`,
    });
  });

  test('a lock its holder stopped renewing (killed deploy) is stale and taken over, saying so', async () => {
    const cluster = new FakeCluster();
    await acquireLock(phaseContext(cluster, { lockHolder: 'killed deploy', now: () => T0 }), WEB);
    const { lines, log } = collect();
    await acquireLock(phaseContext(cluster, { lockHolder: 'next deploy', now: () => at(LOCK_DURATION_SECONDS + 1), log }), WEB);
    expect((cluster.store.get(`Lease/web/${LOCK_NAME}`) as any).spec.holderIdentity).toBe('next deploy');
    expect(lines[0]).toBe(
      'deploy lock: taking over the stale lock of killed deploy (since 2026-12-01T21:00:00.000000Z, last renewed 2026-12-01T21:00:00.000000Z; its deploy stopped)',
    );
  });

  test('renewing keeps it held past its first duration; releasing frees it for the next deploy', async () => {
    const cluster = new FakeCluster();
    let now = T0;
    const lock = await acquireLock(phaseContext(cluster, { lockHolder: 'first', now: () => now }), WEB);
    now = at(50);
    await lock.renew();
    await expect(acquireLock(phaseContext(cluster, { lockHolder: 'second', now: () => at(90) }), WEB)).rejects.toMatchObject({ exitCode: EXIT.locked });
    await lock.release();
    await acquireLock(phaseContext(cluster, { lockHolder: 'second', now: () => at(90) }), WEB);
  });

  test('two deploys racing for a stale lock: the one whose write lands second is refused, nothing applied', async () => {
    const cluster = new FakeCluster();
    await acquireLock(phaseContext(cluster, { lockHolder: 'killed', now: () => T0 }), WEB);
    // The other deploy took it over between our read and our write.
    const read = cluster.getLease.bind(cluster);
    cluster.getLease = async (name, ns) => {
      const r = await read(name, ns);
      const live = cluster.store.get(`Lease/web/${LOCK_NAME}`)!;
      cluster.store.set(`Lease/web/${LOCK_NAME}`, { ...live, metadata: { ...live.metadata, resourceVersion: 'changed' } });
      return r;
    };
    expect(await refusal(acquireLock(phaseContext(cluster, { lockHolder: 'late', now: () => at(120) }), WEB))).toEqual({
      exitCode: EXIT.locked,
      message: 'another deploy took the lock of workload web in namespace web at the same moment; nothing applied (retry)',
    });
  });

  test('fails with exit 3 when the lock cannot be read', async () => {
    const cluster = new FakeCluster();
    cluster.getLease = async () => failed('leases.coordination.k8s.io "platform-deploy-lock" is forbidden');
    expect((await refusal(acquireLock(phaseContext(cluster, { lockHolder: 'x', now: () => T0 }), WEB))).exitCode).toBe(EXIT.clusterUnreachable);
  });

  test('lock state: released or missing is free; held until renewTime + duration', () => {
    expect(lockState(undefined, T0)).toEqual({ kind: 'free' });
    const lease = leaseObject(LOCK_NAME, 'web', 'h', T0, at(10)) as any;
    expect(lockState(lease, at(69))).toMatchObject({ kind: 'held', holder: 'h', expires: at(70) });
    expect(lockState(lease, at(70))).toMatchObject({ kind: 'stale', holder: 'h' });
    expect(lockState({ ...lease, spec: { ...lease.spec, holderIdentity: '' } }, T0)).toEqual({ kind: 'free' });
  });

  test('a held lock is renewed on a timer while the deploy runs (so it never goes stale under a live deploy), and released at the end', async () => {
    const cluster = new FakeCluster();
    let now = T0;
    const lock = await holdLock(phaseContext(cluster, { lockHolder: 'live deploy', now: () => now }), WEB, 5);
    now = at(50);
    await new Promise((r) => setTimeout(r, 40));
    expect(cluster.calls.filter((c) => c === 'replace Lease/platform-deploy-lock-web').length).toBeGreaterThanOrEqual(2);
    expect(lockState(cluster.store.get(`Lease/web/${LOCK_NAME}`) as never, at(100))).toMatchObject({ kind: 'held', holder: 'live deploy' });
    await lock.release();
    const renewals = cluster.calls.length;
    await new Promise((r) => setTimeout(r, 20));
    expect(cluster.calls.length).toBe(renewals); // the timer stopped
    expect(cluster.store.size).toBe(0);
  });

  test('withLocks releases the locks when the work fails, and passes the failure on', async () => {
    const cluster = new FakeCluster();
    const work = async () => {
      expect(lockState(cluster.store.get(`Lease/web/${LOCK_NAME}`) as never, T0)).toMatchObject({ kind: 'held', holder: 'ci run 8' });
      throw new Error('apply failed');
    };
    await expect(withLocks(phaseContext(cluster, { lockHolder: 'ci run 8', now: () => T0 }), [WEB], work)).rejects.toThrow('apply failed');
    expect(cluster.store.size).toBe(0);
  });

  test('two workloads lock independently; one of several locks held elsewhere refuses the release (exit 6) and frees those taken', async () => {
    const cluster = new FakeCluster();
    const worker = await acquireLock(phaseContext(cluster, { lockHolder: 'worker release', now: () => T0 }), workloadLock('web', 'worker'));
    // web is free although worker is held: another release of web goes ahead.
    await withLocks(phaseContext(cluster, { lockHolder: 'web release', now: () => T0 }), [WEB], async () => undefined);
    const both = withLocks(phaseContext(cluster, { lockHolder: 'both', now: () => at(1) }), [WEB, workloadLock('web', 'worker')], async () => 'ran');
    expect(await refusal(both)).toMatchObject({
      exitCode: EXIT.locked,
      message: expect.stringMatching(/^another deploy holds the lock of workload worker in namespace web \(Lease platform-deploy-lock-worker\): worker release/),
    });
    expect([...cluster.store.keys()]).toEqual(['Lease/web/platform-deploy-lock-worker']);
    await worker.release();
  });
});
