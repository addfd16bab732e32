/**
 * An in-memory `Cluster` for the phase tests: answers are set per test, every call is recorded, time is a fake clock
 * (sleep advances it at once), so a 10-minute rollout is decided in microseconds.
 */
import type { Clock } from '../../deploy/clock';
import { failed, ok, type ApplyOptions, type Cluster, type LeaseLike, type Reply } from '../../deploy/adapters/cluster';
import type { KubeObject } from '../../deploy/manifests';
import type { DeploymentLike, EventLike, PodLike } from '../../deploy/rules/rollout';

export class FakeClock implements Clock {
  constructor(public t = 0) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
}

type DeploymentAnswer = Reply<DeploymentLike | undefined> | ((fake: FakeCluster) => Reply<DeploymentLike | undefined>);

export interface AppliedCall {
  readonly objects: readonly KubeObject[];
  readonly options: ApplyOptions;
}

export class FakeCluster implements Cluster {
  readonly description = 'fake-kubectl';
  readonly calls: string[] = [];
  readonly applied: AppliedCall[] = [];
  readonly undone: { name: string; namespace: string; revision: string }[] = [];
  clientVersionReply: Reply<string> = ok('v1.35.4');
  serverReply: Reply<string> = ok('https://127.0.0.1:6443');
  serverVersionReply: Reply<string> = ok('v1.35.4');
  namespaceReply: Reply<KubeObject | undefined> = ok(undefined);
  /** `verb resource` → answer; unlisted: yes. */
  permissions: Record<string, Reply<boolean>> = {};
  /** Roles that exist in the namespace. */
  roles = new Set<string>();
  /**
   * Successive answers of getDeployment (the last one repeats). A function gets the fake's state, e.g. to answer
   * differently once a rollback happened.
   */
  deployments: DeploymentAnswer[] = [ok(undefined)];
  /** Like `deployments`, for Deployments read by name (e.g. the canary "web-canary"); names not listed use `deployments`; no canary by default. */
  namedDeployments: Record<string, DeploymentAnswer[]> = { 'web-canary': [ok(undefined)] };
  /** Answer of apply calls: a function of the call (default: accepted). */
  applyReply: (objects: readonly KubeObject[], options: ApplyOptions) => Reply<string> = (objects) =>
    ok(objects.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name} serverside-applied`).join('\n'));
  /** Successive answers of get, by `<resource>/<name>` (the last one repeats); unlisted: not found. */
  objects: Record<string, Reply<KubeObject | undefined>[]> = {};
  diffReply: Reply<string> = ok('');
  undoReply: Reply<string> = ok('deployment.apps/web rolled back');
  pods: PodLike[] = [];
  events: EventLike[] = [];
  raw: Record<string, Reply<string>> = {};
  /** Called on every clock-relevant call (getDeployment), e.g. to advance a FakeClock by the time a read takes. */
  onRead?: () => void;

  async clientVersion() {
    this.calls.push('clientVersion');
    return this.clientVersionReply;
  }
  async server() {
    this.calls.push('server');
    return this.serverReply;
  }
  async serverVersion() {
    this.calls.push('serverVersion');
    return this.serverVersionReply;
  }
  async getNamespace(name: string) {
    this.calls.push(`getNamespace ${name}`);
    return this.namespaceReply;
  }
  async canI(verb: string, resource: string, namespace?: string) {
    this.calls.push(`canI ${verb} ${resource}${namespace ? ` -n ${namespace}` : ''}`);
    return this.permissions[`${verb} ${resource}`] ?? ok(true);
  }
  async exists(resource: string, name: string, namespace: string) {
    this.calls.push(`exists ${resource} ${name} -n ${namespace}`);
    return ok(resource.startsWith('role.') ? this.roles.has(name) : false);
  }
  async getDeployment(name: string, namespace: string) {
    this.calls.push(`getDeployment ${name} -n ${namespace}`);
    this.onRead?.();
    const queue = this.namedDeployments[name] ?? this.deployments;
    const next = queue.length > 1 ? queue.shift()! : queue[0];
    return typeof next === 'function' ? next(this) : next;
  }
  async get(resource: string, name: string, namespace: string) {
    this.calls.push(`get ${resource} ${name} -n ${namespace}`);
    const queue = this.objects[`${resource}/${name}`] ?? [ok(undefined)];
    return queue.length > 1 ? queue.shift()! : queue[0];
  }
  async apply(objects: readonly KubeObject[], options: ApplyOptions = {}) {
    this.calls.push(
      `apply${options.dryRun ? ' --dry-run' : ''}${options.applySet ? ` --applyset=${options.applySet.name}` : ''} ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(',')}`,
    );
    this.applied.push({ objects, options });
    return this.applyReply(objects, options);
  }
  async diff(objects: readonly KubeObject[]) {
    this.calls.push(`diff ${objects.length}`);
    return this.diffReply;
  }
  async rollbackDeployment(name: string, namespace: string, revision: string) {
    this.calls.push(`rollback ${name} -n ${namespace} --to-revision=${revision}`);
    this.undone.push({ name, namespace, revision });
    return this.undoReply;
  }
  async listPods(namespace: string) {
    this.calls.push(`listPods -n ${namespace}`);
    return ok(this.pods);
  }
  async listEvents(namespace: string) {
    this.calls.push(`listEvents -n ${namespace}`);
    return ok(this.events);
  }
  async getRaw(path: string) {
    this.calls.push(`getRaw ${path}`);
    return this.raw[path] ?? failed(`the server could not find the requested resource (get ${path})`);
  }
  /** Objects created with create/replace, by `kind/namespace/name`; each write bumps its resourceVersion. */
  readonly store = new Map<string, KubeObject>();
  private version = 100;

  async getLease(name: string, namespace: string) {
    this.calls.push(`getLease ${name} -n ${namespace}`);
    return ok(this.store.get(`Lease/${namespace}/${name}`) as unknown as LeaseLike | undefined);
  }
  async create(object: KubeObject) {
    this.calls.push(`create ${object.kind}/${object.metadata.name}`);
    const key = `${object.kind}/${object.metadata.namespace}/${object.metadata.name}`;
    if (this.store.has(key)) return failed(`Error from server (AlreadyExists): ${object.kind.toLowerCase()}s "${object.metadata.name}" already exists`);
    this.store.set(key, { ...object, metadata: { ...object.metadata, resourceVersion: String(++this.version) } });
    return ok(`${object.kind.toLowerCase()}/${object.metadata.name} created`);
  }
  async replace(object: KubeObject) {
    this.calls.push(`replace ${object.kind}/${object.metadata.name}`);
    const key = `${object.kind}/${object.metadata.namespace}/${object.metadata.name}`;
    const live = this.store.get(key);
    if (!live) return failed(`Error from server (NotFound): ${object.kind.toLowerCase()}s "${object.metadata.name}" not found`);
    if (live.metadata.resourceVersion !== object.metadata.resourceVersion)
      return failed('Error from server (Conflict): the object has been modified; please apply your changes to the latest version and try again');
    this.store.set(key, { ...object, metadata: { ...object.metadata, resourceVersion: String(++this.version) } });
    return ok(`${object.kind.toLowerCase()}/${object.metadata.name} replaced`);
  }
  async delete(resource: string, name: string, namespace: string) {
    this.calls.push(`delete ${resource} ${name} -n ${namespace}`);
    for (const key of this.store.keys()) if (key.endsWith(`/${namespace}/${name}`) && resource.toLowerCase().startsWith(key.split('/')[0].toLowerCase())) this.store.delete(key);
    return ok('');
  }

  /** Calls that changed the cluster (an apply that is not a dry run, a rollback, a delete). */
  mutations(): string[] {
    return this.calls.filter((c) => (c.startsWith('apply') && !c.startsWith('apply --dry-run')) || c.startsWith('rollback') || c.startsWith('delete deployment'));
  }
}

/** A Deployment status as the controller reports it. */
export function deploymentStatus(s: {
  revision?: string;
  image?: string;
  replicas?: number;
  updated?: number;
  available?: number;
  current?: number;
  deadlineExceeded?: boolean;
  generation?: number;
  observed?: number;
}): DeploymentLike & { spec: { template: unknown } } {
  const replicas = s.replicas ?? 2;
  return {
    metadata: { generation: s.generation ?? 2, annotations: s.revision ? { 'deployment.kubernetes.io/revision': s.revision } : {} },
    spec: { replicas, progressDeadlineSeconds: 90, template: { spec: { containers: [{ name: 'web', image: s.image ?? 'registry.local/web:1.0.0' }] } } },
    status: {
      observedGeneration: s.observed ?? s.generation ?? 2,
      replicas: s.current ?? s.updated ?? replicas,
      updatedReplicas: s.updated ?? replicas,
      readyReplicas: s.available ?? replicas,
      availableReplicas: s.available ?? replicas,
      conditions: s.deadlineExceeded
        ? [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-2" has timed out progressing.' }]
        : [],
    },
  };
}
