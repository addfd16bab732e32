/**
 * The small interface the deploy phases use to talk to a cluster, and its kubectl implementation. Phases depend on
 * `Cluster` only, so each one is unit-tested with an in-memory fake (test/deploy/fake-cluster.ts) in milliseconds;
 * `KubectlCluster` maps every call to one kubectl invocation (covered by test/deploy/adapters/cluster.test.ts and the e2e suite).
 */
import type { KubectlRunner } from './kubectl';
import { toYaml, type KubeObject } from '../manifests';
import type { DeploymentLike, EventLike, PodLike } from '../rules/rollout';

/** The answer of one call: a value, or kubectl's error text (with whether the API server said "forbidden"). */
export type Reply<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string; readonly forbidden: boolean };

export const ok = <T>(value: T): Reply<T> => ({ ok: true, value });
export const failed = <T = never>(error: string, forbidden = /forbidden/i.test(error)): Reply<T> => ({ ok: false, error, forbidden });

export interface ApplyOptions {
  /**
   * Server-side dry run (admission included): nothing is persisted.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * Apply as one ApplySet (`--prune --applyset=<name> -n <namespace>`): members that left it are pruned.
   * @default - a plain server-side apply, nothing pruned
   */
  readonly applySet?: { readonly name: string; readonly namespace: string };
}

export interface Cluster {
  /** What this talks through, for messages (e.g. the kubectl binary). */
  readonly description: string;
  /** Version of the client (kubectl), e.g. "v1.35.4". */
  clientVersion(): Promise<Reply<string>>;
  /** API server URL of the selected kubeconfig context. */
  server(): Promise<Reply<string>>;
  /** `gitVersion` the API server reports on /version. */
  serverVersion(): Promise<Reply<string>>;
  /** The Namespace, or undefined when it does not exist. */
  getNamespace(name: string): Promise<Reply<KubeObject | undefined>>;
  /** `kubectl auth can-i <verb> <resource> [-n <namespace>]`: true for "yes", false for "no", an error otherwise. */
  canI(verb: string, resource: string, namespace?: string): Promise<Reply<boolean>>;
  /** Whether the object `<resource>/<name>` exists in the namespace (resource as kubectl names it, e.g. role.rbac.authorization.k8s.io). */
  exists(resource: string, name: string, namespace: string): Promise<Reply<boolean>>;
  getDeployment(name: string, namespace: string): Promise<Reply<DeploymentLike | undefined>>;
  /** Any namespaced object (`<resource>` as kubectl names it, e.g. cronjob.batch), or undefined when it does not exist. */
  get(resource: string, name: string, namespace: string): Promise<Reply<KubeObject | undefined>>;
  /** Server-side apply (field manager FIELD_MANAGER, conflicts forced); the value is kubectl's report. */
  apply(objects: readonly KubeObject[], options?: ApplyOptions): Promise<Reply<string>>;
  /** `kubectl diff --server-side`: the diff text, empty when nothing would change. */
  diff(objects: readonly KubeObject[]): Promise<Reply<string>>;
  /** `kubectl rollout undo deployment/<name> --to-revision=<revision>`. */
  rollbackDeployment(name: string, namespace: string, revision: string): Promise<Reply<string>>;
  listPods(namespace: string, selector: Readonly<Record<string, string>>): Promise<Reply<PodLike[]>>;
  listEvents(namespace: string): Promise<Reply<EventLike[]>>;
  /** GET of an API path (`kubectl get --raw`), e.g. a pod's metrics through the API server's pod proxy. */
  getRaw(path: string): Promise<Reply<string>>;
  /** A Lease (coordination.k8s.io/v1), or undefined when it does not exist. */
  getLease(name: string, namespace: string): Promise<Reply<LeaseLike | undefined>>;
  /** `kubectl create`: fails (`conflict`) when the object exists already. */
  create(object: KubeObject): Promise<Reply<string>>;
  /** `kubectl replace` with the object's resourceVersion: fails (`conflict`) when someone changed it since it was read. */
  replace(object: KubeObject): Promise<Reply<string>>;
  /** `kubectl delete <resource> <name> -n <namespace> --ignore-not-found`. */
  delete(resource: string, name: string, namespace: string): Promise<Reply<string>>;
}

/** The fields of a Lease the deploy lock uses. */
export interface LeaseLike {
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly resourceVersion?: string; readonly annotations?: Record<string, string> };
  readonly spec?: { readonly holderIdentity?: string; readonly acquireTime?: string; readonly renewTime?: string; readonly leaseDurationSeconds?: number };
}

/** The field manager of every apply: the deploy command owns the fields it sets. */
export const FIELD_MANAGER = 'platform-deploy';

const APPLY = ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts'];

/** `Cluster` through kubectl (one process per call; objects go through stdin, never argv or a file). */
export class KubectlCluster implements Cluster {
  readonly description: string;

  constructor(private readonly kubectl: KubectlRunner) {
    this.description = kubectl.binary;
  }

  async clientVersion(): Promise<Reply<string>> {
    const r = await this.json<{ clientVersion?: { gitVersion?: string } }>(['version', '--client', '-o', 'json']);
    return r.ok ? (r.value.clientVersion?.gitVersion ? ok(r.value.clientVersion.gitVersion) : failed('kubectl reported no client version')) : r;
  }

  async server(): Promise<Reply<string>> {
    const r = await this.json<{ clusters?: { cluster?: { server?: string } }[] }>(['config', 'view', '--minify', '-o', 'json']);
    return r.ok ? ok(r.value.clusters?.[0]?.cluster?.server ?? '?') : r;
  }

  async serverVersion(): Promise<Reply<string>> {
    const r = await this.json<{ gitVersion?: string }>(['get', '--raw=/version', '--request-timeout=15s']);
    return r.ok ? ok(r.value.gitVersion ?? '?') : r;
  }

  getNamespace(name: string): Promise<Reply<KubeObject | undefined>> {
    return this.optionalJson<KubeObject>(['get', 'namespace', name, '-o', 'json', '--ignore-not-found']);
  }

  async canI(verb: string, resource: string, namespace?: string): Promise<Reply<boolean>> {
    // Exit code 1 for "no": the answer is on stdout.
    const r = await this.kubectl.run(['auth', 'can-i', verb, resource, ...(namespace ? ['-n', namespace] : [])]);
    const answer = r.stdout.trim();
    return answer === 'yes' || answer === 'no' ? ok(answer === 'yes') : failed(r.stderr.trim() || `kubectl auth can-i ${verb} ${resource} answered ${JSON.stringify(answer)}`);
  }

  async exists(resource: string, name: string, namespace: string): Promise<Reply<boolean>> {
    const r = await this.kubectl.run(['get', resource, name, '-n', namespace, '-o', 'name', '--ignore-not-found']);
    return r.code === 0 ? ok(r.stdout.trim() !== '') : failed(r.stderr.trim());
  }

  getDeployment(name: string, namespace: string): Promise<Reply<DeploymentLike | undefined>> {
    return this.optionalJson<DeploymentLike>(['get', 'deployment', name, '-n', namespace, '-o', 'json', '--ignore-not-found', '--request-timeout=10s']);
  }

  get(resource: string, name: string, namespace: string): Promise<Reply<KubeObject | undefined>> {
    return this.optionalJson<KubeObject>(['get', resource, name, '-n', namespace, '-o', 'json', '--ignore-not-found', '--request-timeout=10s']);
  }

  async apply(objects: readonly KubeObject[], options: ApplyOptions = {}): Promise<Reply<string>> {
    const args = [
      ...APPLY,
      ...(options.applySet ? ['--prune', `--applyset=${options.applySet.name}`, '-n', options.applySet.namespace] : []),
      ...(options.dryRun ? ['--dry-run=server'] : []),
      '-f',
      '-',
    ];
    const r = await this.kubectl.run(args, { input: toYaml(objects), env: options.applySet ? { KUBECTL_APPLYSET: 'true' } : undefined });
    return r.code === 0 ? ok(r.stdout.trimEnd()) : failed([r.stderr.trim(), r.stdout.trim()].filter(Boolean).join('\n'));
  }

  async diff(objects: readonly KubeObject[]): Promise<Reply<string>> {
    const r = await this.kubectl.run(['diff', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', '-f', '-'], { input: toYaml(objects) });
    // kubectl diff: 0 = no differences, 1 = differences, >1 = error.
    return r.code <= 1 ? ok(r.code === 0 ? '' : r.stdout.trimEnd()) : failed(r.stderr.trim());
  }

  async rollbackDeployment(name: string, namespace: string, revision: string): Promise<Reply<string>> {
    const r = await this.kubectl.run(['rollout', 'undo', `deployment/${name}`, '-n', namespace, `--to-revision=${revision}`]);
    return r.code === 0 ? ok(r.stdout.trim()) : failed(r.stderr.trim());
  }

  async listPods(namespace: string, selector: Readonly<Record<string, string>>): Promise<Reply<PodLike[]>> {
    const labels = Object.entries(selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const r = await this.json<{ items: PodLike[] }>(['get', 'pods', '-n', namespace, ...(labels ? ['-l', labels] : []), '-o', 'json']);
    return r.ok ? ok(r.value.items ?? []) : r;
  }

  async listEvents(namespace: string): Promise<Reply<EventLike[]>> {
    const r = await this.json<{ items: EventLike[] }>(['get', 'events', '-n', namespace, '-o', 'json']);
    return r.ok ? ok(r.value.items ?? []) : r;
  }

  async getRaw(path: string): Promise<Reply<string>> {
    const r = await this.kubectl.run(['get', '--raw', path, '--request-timeout=10s']);
    return r.code === 0 ? ok(r.stdout) : failed(r.stderr.trim());
  }

  getLease(name: string, namespace: string): Promise<Reply<LeaseLike | undefined>> {
    return this.optionalJson<LeaseLike>(['get', 'lease.coordination.k8s.io', name, '-n', namespace, '-o', 'json', '--ignore-not-found']);
  }

  async create(object: KubeObject): Promise<Reply<string>> {
    const r = await this.kubectl.run(['create', '-f', '-'], { input: toYaml([object]) });
    return r.code === 0 ? ok(r.stdout.trim()) : failed(r.stderr.trim());
  }

  async replace(object: KubeObject): Promise<Reply<string>> {
    const r = await this.kubectl.run(['replace', '-f', '-'], { input: toYaml([object]) });
    return r.code === 0 ? ok(r.stdout.trim()) : failed(r.stderr.trim());
  }

  async delete(resource: string, name: string, namespace: string): Promise<Reply<string>> {
    const r = await this.kubectl.run(['delete', resource, name, '-n', namespace, '--ignore-not-found']);
    return r.code === 0 ? ok(r.stdout.trim()) : failed(r.stderr.trim());
  }

  private async json<T>(args: string[]): Promise<Reply<T>> {
    const r = await this.kubectl.run(args);
    if (r.code !== 0) return failed(r.stderr.trim() || `kubectl ${args.join(' ')} exited ${r.code}`);
    try {
      return ok(JSON.parse(r.stdout) as T);
    } catch {
      return failed(`kubectl ${args.join(' ')} printed no JSON: ${r.stdout.slice(0, 200)}`);
    }
  }

  /** Like json(), for `--ignore-not-found` reads: empty output means the object does not exist. */
  private async optionalJson<T>(args: string[]): Promise<Reply<T | undefined>> {
    const r = await this.kubectl.run(args);
    if (r.code !== 0) return failed(r.stderr.trim() || `kubectl ${args.join(' ')} exited ${r.code}`);
    return ok(r.stdout.trim() ? (JSON.parse(r.stdout) as T) : undefined);
  }
}
