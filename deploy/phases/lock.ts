/**
 * One release at a time per workload: a Lease (coordination.k8s.io/v1) per workload in the namespace
 * (`platform-deploy-lock-<workload>`), held for the whole deploy and renewed while it runs; two workloads release at
 * the same time. A second deploy of a workload is refused naming the holder and since when; a lock that was not
 * renewed within its duration (a killed deploy) is stale and taken over. Writes are optimistic (create, or replace at
 * the read resourceVersion), so two deploys racing for a free or stale lock cannot both win. The namespace-level
 * ApplySet, which every release applies, has its own short lock (`withNamespaceLock`): waited for, not refused.
 */
import type { Cluster, LeaseLike } from '../adapters/cluster';
import type { ClusterContext } from '../context';
import { clusterError, DeployError, EXIT } from '../errors';
import type { KubeObject } from '../manifests';

/** Prefix of the workloads' Leases (the single Lease of the namespace before releases were per workload). */
export const LOCK_NAME = 'platform-deploy-lock';
/** The Lease of one workload's releases. */
export const workloadLockName = (workload: string) => `${LOCK_NAME}-${workload}`;
/** The short lock around the namespace-level ApplySet's apply. */
export const NAMESPACE_LOCK_NAME = 'platform-namespace-lock';
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
export function leaseObject(name: string, namespace: string, holder: string, acquired: Date, renewed: Date, resourceVersion?: string): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}), labels: { 'app.kubernetes.io/managed-by': 'platform-deploy' } },
    spec: { holderIdentity: holder, acquireTime: microTime(acquired), renewTime: microTime(renewed), leaseDurationSeconds: LOCK_DURATION_SECONDS },
  };
}

export interface ReleaseLock {
  /** Renews the Lease (the holder is still alive). */
  renew(): Promise<void>;
  /** Deletes the Lease. Never throws: a lock left behind expires. */
  release(): Promise<void>;
}

/** Which lock: a Lease name in a namespace, and what it guards (for messages: "workload web"). */
export interface LockRef {
  readonly name: string;
  readonly namespace: string;
  readonly of: string;
}

/** The lock of one workload's releases. */
export const workloadLock = (namespace: string, workload: string): LockRef => ({ name: workloadLockName(workload), namespace, of: `workload ${workload}` });

/** Takes the lock for `context.lockHolder()`, or refuses (exit 6) naming who holds it and since when. */
export async function acquireLock(context: ClusterContext, ref: LockRef): Promise<ReleaseLock> {
  const { cluster, now, log } = context;
  const { name, namespace } = ref;
  const holder = context.lockHolder();
  const read = await cluster.getLease(name, namespace);
  if (!read.ok) throw clusterError(`cannot read the deploy lock (Lease ${name} in ${namespace}): ${read.error}`);
  const state = lockState(read.value, now());
  if (state.kind === 'held') {
    throw new DeployError(
      `another deploy holds the lock of ${ref.of} in namespace ${namespace} (Lease ${name}): ${state.holder}, since ${state.since}; ` +
        `it expires at ${state.expires.toISOString()} unless renewed. Nothing applied.`,
      EXIT.locked,
    );
  }
  if (state.kind === 'stale') log(`deploy lock: taking over the stale lock of ${state.holder} (since ${state.since}, last renewed ${state.renewed}; its deploy stopped)`);
  const acquired = now();
  const write = read.value
    ? await cluster.replace(leaseObject(name, namespace, holder, acquired, acquired, read.value.metadata.resourceVersion))
    : await cluster.create(leaseObject(name, namespace, holder, acquired, acquired));
  if (!write.ok) {
    const lost = /AlreadyExists|Conflict|modified/i.test(write.error);
    throw new DeployError(
      lost
        ? `another deploy took the lock of ${ref.of} in namespace ${namespace} at the same moment; nothing applied (retry)`
        : `cannot take the deploy lock ${name} in ${namespace}: ${write.error}`,
      lost ? EXIT.locked : EXIT.clusterUnreachable,
    );
  }
  log(`deploy lock: Lease ${name} in ${namespace} held by ${holder}`);
  return heldLock(cluster, ref, holder, acquired, now);
}

function heldLock(cluster: Cluster, ref: LockRef, holder: string, acquired: Date, now: () => Date): ReleaseLock {
  const { name, namespace } = ref;
  return {
    async renew() {
      const read = await cluster.getLease(name, namespace);
      if (!read.ok || read.value?.spec?.holderIdentity !== holder)
        throw clusterError(`lost the deploy lock of ${ref.of} in namespace ${namespace} (now ${read.ok ? (read.value?.spec?.holderIdentity ?? 'free') : read.error})`);
      const written = await cluster.replace(leaseObject(name, namespace, holder, acquired, now(), read.value.metadata.resourceVersion));
      if (!written.ok) throw clusterError(`cannot renew the deploy lock of ${ref.of} in namespace ${namespace}: ${written.error}`);
    },
    async release() {
      const read = await cluster.getLease(name, namespace);
      if (read.ok && read.value?.spec?.holderIdentity === holder) await cluster.delete('lease.coordination.k8s.io', name, namespace);
    },
  };
}

/**
 * Takes the lock and renews it every third of its duration until released (a timer that does not keep the process
 * alive). A failed renewal is reported once: the deploy goes on, but another deploy could take the lock once it
 * expires.
 */
export async function holdLock(context: ClusterContext, ref: LockRef, renewEveryMs = (LOCK_DURATION_SECONDS * 1000) / 3): Promise<ReleaseLock> {
  const { log } = context;
  const lock = await acquireLock(context, ref);
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

/**
 * The earlier deploy command held one Lease for the whole namespace (`platform-deploy-lock`). While one of its deploys
 * may still run (a mixed upgrade), a held one refuses this release (exit 6, naming it); a released or stale one is
 * ignored (it expires by itself, and is never written by this command).
 */
export async function checkEarlierLock(context: ClusterContext, namespace: string): Promise<void> {
  const read = await context.cluster.getLease(LOCK_NAME, namespace);
  if (!read.ok) throw clusterError(`cannot read the earlier deploy command's lock (Lease ${LOCK_NAME} in ${namespace}): ${read.error}`);
  const state = lockState(read.value, context.now());
  if (state.kind !== 'held') return;
  throw new DeployError(
    `a deploy of the earlier deploy command holds the whole namespace ${namespace} (Lease ${LOCK_NAME}): ${state.holder}, since ${state.since}; ` +
      `it expires at ${state.expires.toISOString()} unless renewed. Nothing applied.`,
    EXIT.locked,
  );
}

/**
 * Runs `work` holding every lock of `refs` (`holdLock`, taken in the given order: one held by another deploy refuses
 * the whole release, exit 6, releasing those taken), and releases them whatever the outcome.
 */
export async function withLocks<T>(context: ClusterContext, refs: readonly LockRef[], work: () => Promise<T>): Promise<T> {
  const held: ReleaseLock[] = [];
  try {
    for (const ref of refs) held.push(await holdLock(context, ref));
    return await work();
  } finally {
    for (const lock of held.reverse()) await lock.release();
  }
}

/**
 * Runs `work` (the namespace-level ApplySet's apply, a few seconds) holding the namespace's short lock. Another
 * release applying that set at the moment is waited for (polled every second, at most `waitMs`), not refused: both
 * apply the same objects, one after the other, so neither prunes what the other's apply is creating.
 */
export async function withNamespaceLock<T>(context: ClusterContext, namespace: string, work: () => Promise<T>, waitMs = LOCK_DURATION_SECONDS * 1000): Promise<T> {
  const ref: LockRef = { name: NAMESPACE_LOCK_NAME, namespace, of: 'the namespace-level objects' };
  const started = context.clock.now();
  for (;;) {
    try {
      return await withLocks(context, [ref], work);
    } catch (e) {
      const busy = e instanceof DeployError && e.exitCode === EXIT.locked && /holds the lock|same moment/.test(e.message);
      if (!busy || context.clock.now() - started >= waitMs) throw e;
      await context.clock.sleep(1000);
    }
  }
}
