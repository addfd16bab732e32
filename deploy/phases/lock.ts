/**
 * One release at a time per namespace: a Lease (coordination.k8s.io/v1) in the workload namespace, held for the
 * whole deploy and renewed while it runs. A second deploy is refused naming the holder and since when; a lock that
 * was not renewed within its duration (a killed deploy) is stale and taken over. Writes are optimistic (create, or
 * replace at the read resourceVersion), so two deploys racing for a free or stale lock cannot both win.
 */
import type { Cluster, LeaseLike } from '../adapters/cluster';
import type { ClusterContext } from '../context';
import { clusterError, DeployError, EXIT } from '../errors';
import type { KubeObject } from '../manifests';

export const LOCK_NAME = 'platform-deploy-lock';
/** A holder renews every third of this; a lock older than this without renewal is stale. */
export const LOCK_DURATION_SECONDS = 60;

export type LockState =
  | { readonly kind: 'free' }
  | { readonly kind: 'held'; readonly holder: string; readonly since: string; readonly expires: Date }
  | { readonly kind: 'stale'; readonly holder: string; readonly since: string; readonly renewed: string };

/** What a Lease says at `now`: free (none, or released), held until it expires, or stale (its holder stopped renewing). */
export function lockState(lease: LeaseLike | undefined, now: Date): LockState {
  const spec = lease?.spec;
  if (!spec?.holderIdentity) return { kind: 'free' };
  const since = spec.acquireTime ?? spec.renewTime ?? '?';
  const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '');
  const expires = new Date((Number.isNaN(renewed) ? 0 : renewed) + (spec.leaseDurationSeconds ?? LOCK_DURATION_SECONDS) * 1000);
  if (expires.getTime() <= now.getTime()) return { kind: 'stale', holder: spec.holderIdentity, since, renewed: spec.renewTime ?? since };
  return { kind: 'held', holder: spec.holderIdentity, since, expires };
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
const microTime = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** The Lease object for `holder`, keeping the resourceVersion of the one it replaces. */
export function leaseObject(namespace: string, holder: string, acquired: Date, renewed: Date, resourceVersion?: string): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: LOCK_NAME, namespace, ...(resourceVersion ? { resourceVersion } : {}), labels: { 'app.kubernetes.io/managed-by': 'platform-deploy' } },
    spec: { holderIdentity: holder, acquireTime: microTime(acquired), renewTime: microTime(renewed), leaseDurationSeconds: LOCK_DURATION_SECONDS },
  };
}

export interface ReleaseLock {
  /** Renews the Lease (the holder is still alive). */
  renew(): Promise<void>;
  /** Deletes the Lease. Never throws: a lock left behind expires. */
  release(): Promise<void>;
}

/** Takes the namespace's lock for `context.lockHolder()`, or refuses (exit 6) naming who holds it and since when. */
export async function acquireLock(context: ClusterContext, namespace: string): Promise<ReleaseLock> {
  const { cluster, now, log } = context;
  const holder = context.lockHolder();
  const read = await cluster.getLease(LOCK_NAME, namespace);
  if (!read.ok) throw clusterError(`cannot read the deploy lock (Lease ${LOCK_NAME} in ${namespace}): ${read.error}`);
  const state = lockState(read.value, now());
  if (state.kind === 'held') {
    throw new DeployError(
      `another deploy holds the lock of namespace ${namespace} (Lease ${LOCK_NAME}): ${state.holder}, since ${state.since}; ` +
        `it expires at ${state.expires.toISOString()} unless renewed. Nothing applied.`,
      EXIT.locked,
    );
  }
  if (state.kind === 'stale') log(`deploy lock: taking over the stale lock of ${state.holder} (since ${state.since}, last renewed ${state.renewed}; its deploy stopped)`);
  const acquired = now();
  const write = read.value
    ? await cluster.replace(leaseObject(namespace, holder, acquired, acquired, read.value.metadata.resourceVersion))
    : await cluster.create(leaseObject(namespace, holder, acquired, acquired));
  if (!write.ok) {
    const lost = /AlreadyExists|Conflict|modified/i.test(write.error);
    throw new DeployError(
      lost ? `another deploy took the lock of namespace ${namespace} at the same moment; nothing applied (retry)` : `cannot take the deploy lock in ${namespace}: ${write.error}`,
      lost ? EXIT.locked : EXIT.clusterUnreachable,
    );
  }
  log(`deploy lock: Lease ${LOCK_NAME} in ${namespace} held by ${holder}`);
  return heldLock(cluster, namespace, holder, acquired, now);
}

function heldLock(cluster: Cluster, namespace: string, holder: string, acquired: Date, now: () => Date): ReleaseLock {
  return {
    async renew() {
      const read = await cluster.getLease(LOCK_NAME, namespace);
      if (!read.ok || read.value?.spec?.holderIdentity !== holder)
        throw clusterError(`lost the deploy lock of namespace ${namespace} (now ${read.ok ? (read.value?.spec?.holderIdentity ?? 'free') : read.error})`);
      const written = await cluster.replace(leaseObject(namespace, holder, acquired, now(), read.value.metadata.resourceVersion));
      if (!written.ok) throw clusterError(`cannot renew the deploy lock of namespace ${namespace}: ${written.error}`);
    },
    async release() {
      const read = await cluster.getLease(LOCK_NAME, namespace);
      if (read.ok && read.value?.spec?.holderIdentity === holder) await cluster.delete('lease.coordination.k8s.io', LOCK_NAME, namespace);
    },
  };
}

/**
 * Takes the lock and renews it every third of its duration until released (a timer that does not keep the process
 * alive). A failed renewal is reported once: the deploy goes on, but another deploy could take the lock once it
 * expires.
 */
export async function holdLock(context: ClusterContext, namespace: string, renewEveryMs = (LOCK_DURATION_SECONDS * 1000) / 3): Promise<ReleaseLock> {
  const { log } = context;
  const lock = await acquireLock(context, namespace);
  let warned = false;
  const timer = setInterval(() => {
    lock.renew().catch((e: Error) => {
      if (!warned) log(`warning: ${e.message}`);
      warned = true;
    });
  }, renewEveryMs);
  timer.unref();
  return {
    renew: () => lock.renew(),
    async release() {
      clearInterval(timer);
      await lock.release();
    },
  };
}

/** Runs `work` holding the namespace's lock (`holdLock`), and releases it whatever the outcome. */
export async function withLock<T>(context: ClusterContext, namespace: string, work: () => Promise<T>): Promise<T> {
  const lock = await holdLock(context, namespace);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}
