import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { applyRank, PLACEHOLDER_PATTERN } from '../config';
import { inputError } from './errors';

/** A Kubernetes object as plain data. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** One YAML source (a file, or the in-memory render) and the objects it holds. */
export interface ManifestSource {
  /** File path, or e.g. "<rendered dev>". */
  readonly name: string;
  readonly text: string;
}

export const RELEASE_LABEL = 'platform.local/release';

/** Reads every *.yaml / *.yml / *.json file of a folder (sorted by name; not recursive). */
export function readManifestDir(dir: string): ManifestSource[] {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw inputError(`--manifests ${dir} is not a folder`);
    entries = readdirSync(dir)
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .sort();
  } catch (e) {
    if ((e as { exitCode?: number }).exitCode) throw e;
    throw inputError(`cannot read --manifests folder ${dir}: ${(e as Error).message}`);
  }
  if (entries.length === 0) throw inputError(`--manifests folder ${dir} has no .yaml, .yml or .json files`);
  return entries.map((f) => ({ name: join(dir, f), text: readFileSync(join(dir, f), 'utf8') }));
}

/** Every placeholder left in the sources: field names per source. Empty when clean. */
export function findPlaceholders(sources: readonly ManifestSource[]): { source: string; fields: string[] }[] {
  const found: { source: string; fields: string[] }[] = [];
  for (const s of sources) {
    const fields = [...new Set([...s.text.matchAll(new RegExp(PLACEHOLDER_PATTERN.source, 'g'))].map((m) => m[1]))].sort();
    if (fields.length > 0) found.push({ source: s.name, fields });
  }
  return found;
}

/** Refuses sources that still carry placeholder markers, naming the fields and the files. */
export function assertNoPlaceholders(sources: readonly ManifestSource[]): void {
  const found = findPlaceholders(sources);
  if (found.length === 0) return;
  const lines = found.map((f) => `  ${f.source}: ${f.fields.join(', ')}`);
  throw inputError(
    `refusing to deploy: the manifests still contain placeholders (values that exist only after "cdk deploy"):\n${lines.join('\n')}\n` +
      'The committed manifests/ are review copies and are never applied. Deploy with the real values instead: npm run deploy -- --env <name> --image <ref> [--outputs cdk-outputs.json],\n' +
      'or write apply-ready manifests: npm run render -- --env <name> --image <ref> [--outputs cdk-outputs.json] --out <dir>',
  );
}

/** Parses the YAML (multi-document) of every source into objects; empty documents and List wrappers are handled. */
export function parseManifests(sources: readonly ManifestSource[]): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const s of sources) {
    let docs: unknown[];
    try {
      docs = loadAll(s.text) as unknown[];
    } catch (e) {
      throw inputError(`${s.name} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    docs.forEach((doc, i) => {
      if (doc === null || doc === undefined) return;
      const items = isObject(doc) && typeof doc.kind === 'string' && doc.kind.endsWith('List') && Array.isArray(doc.items) ? (doc.items as unknown[]) : [doc];
      for (const item of items) objects.push(checkObject(item, `${s.name} (document ${i + 1})`));
    });
  }
  if (objects.length === 0) throw inputError(`the manifests (${sources.map((s) => s.name).join(', ')}) contain no objects`);
  return objects;
}

function checkObject(doc: unknown, where: string): KubeObject {
  if (!isObject(doc))
    throw inputError(
      `${where} is ${Array.isArray(doc) ? 'a list' : `a ${doc === null ? 'null' : typeof doc}`}, not a Kubernetes object; expected a mapping with apiVersion, kind and metadata.name`,
    );
  const meta = doc.metadata;
  if (typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string' || !isObject(meta) || typeof meta.name !== 'string' || meta.name === '') {
    const missing = [
      typeof doc.apiVersion !== 'string' && 'apiVersion',
      typeof doc.kind !== 'string' && 'kind',
      !(isObject(meta) && typeof meta.name === 'string' && meta.name !== '') && 'metadata.name',
    ].filter(Boolean);
    throw inputError(`${where} lacks ${missing.join(', ')}; a Kubernetes object needs apiVersion, kind and metadata.name`);
  }
  return doc as unknown as KubeObject;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Kinds that live outside namespaces (the ones a workload chart may contain). */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'IngressClass', 'PriorityClass', 'StorageClass', 'PersistentVolume']);

export const isClusterScoped = (o: KubeObject) => CLUSTER_SCOPED.has(o.kind);

export const objectRef = (o: KubeObject) => `${o.kind}/${o.metadata.name}${o.metadata.namespace ? ` -n ${o.metadata.namespace}` : ''}`;

export interface ReleaseSet {
  /** The Namespace object of the workload (applied first, never pruned). */
  readonly namespaceObject?: KubeObject;
  /** Every other object, namespaced into `namespace` and labelled with the release. */
  readonly objects: KubeObject[];
  readonly namespace: string;
}

/**
 * Checks that the objects form one release in `namespace` (namespaced objects are in that namespace, none twice),
 * sets missing namespaces, labels every object with the release and splits the Namespace off (it is applied first
 * and never pruned). Which workloads the objects hold is checked by the caller (phases/prepare.ts).
 */
export function prepareRelease(objects: readonly KubeObject[], namespace: string, release: string): ReleaseSet {
  const problems: string[] = [];
  const out: KubeObject[] = [];
  let namespaceObject: KubeObject | undefined;
  const seen = new Set<string>();
  for (const original of objects) {
    const o = clone(original);
    const key = `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (seen.has(key)) problems.push(`${objectRef(o)} appears twice`);
    seen.add(key);
    o.metadata.labels = { ...(o.metadata.labels ?? {}), [RELEASE_LABEL]: release };
    if (o.kind === 'Namespace') {
      if (o.metadata.name !== namespace) problems.push(`Namespace "${o.metadata.name}" is not the workload's namespace "${namespace}"`);
      else namespaceObject = o;
      continue;
    }
    if (isClusterScoped(o)) {
      problems.push(`${objectRef(o)} is cluster-scoped; a workload release may only hold its Namespace and namespaced objects`);
      continue;
    }
    if (o.metadata.namespace === undefined) o.metadata.namespace = namespace;
    else if (o.metadata.namespace !== namespace) problems.push(`${objectRef(o)} is not in the workload's namespace "${namespace}"`);
    out.push(o);
  }
  if (problems.length > 0) throw inputError(`the manifests are not a valid release in namespace "${namespace}":\n  - ${problems.join('\n  - ')}`);
  // The shared apply order (config/workload.ts), stable within a kind: a Role before the RoleBinding that binds it
  // (without the `bind` verb, the API server checks a binding against the Role's rules), and what the Deployment uses first.
  out.sort((a, b) => applyRank(a.kind) - applyRank(b.kind));
  return { namespaceObject, objects: out, namespace };
}

/**
 * Labels of the release's Namespace that the live Namespace lacks or has with another value, as `key=value`
 * (ignoring the release label and the informational `app.kubernetes.io/*` labels). Used when the credentials may
 * not change the Namespace: what differs (e.g. Pod Security) must be set where the Namespace is created.
 */
export function namespaceLabelDrift(wanted: KubeObject, live: { metadata?: { labels?: Record<string, string> } }): string[] {
  const have = live.metadata?.labels ?? {};
  return Object.entries(wanted.metadata.labels ?? {})
    .filter(([k]) => k !== RELEASE_LABEL && !k.startsWith('app.kubernetes.io/'))
    .filter(([k, v]) => have[k] !== v)
    .map(([k, v]) => `${k}=${v}`)
    .sort();
}

/** RoleBindings of the release that bind a Role of the same release: `[binding, role name]`. */
export function bindingsToReleaseRoles(objects: readonly KubeObject[]): { binding: KubeObject; role: string }[] {
  const roles = new Set(objects.filter((o) => o.kind === 'Role' && o.apiVersion.startsWith('rbac.authorization.k8s.io/')).map((o) => o.metadata.name));
  return objects
    .filter((o) => o.kind === 'RoleBinding' && o.apiVersion.startsWith('rbac.authorization.k8s.io/'))
    .map((binding) => ({ binding, roleRef: (binding as { roleRef?: { kind?: string; name?: string } }).roleRef }))
    .filter(({ roleRef }) => roleRef?.kind === 'Role' && roleRef.name !== undefined && roles.has(roleRef.name))
    .map(({ binding, roleRef }) => ({ binding, role: roleRef!.name! }));
}

/** Multi-document YAML of the objects. */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => dump(o, { noRefs: true, lineWidth: -1 })).join('---\n');
}

type PodTemplate = { spec?: { containers?: { image?: string }[]; initContainers?: { image?: string }[] } };

/** The pod template of a Deployment (`spec.template`) or a CronJob (`spec.jobTemplate.spec.template`). */
export function podTemplate(workload: KubeObject): PodTemplate | undefined {
  const spec = (workload.spec as { template?: PodTemplate; jobTemplate?: { spec?: { template?: PodTemplate } } } | undefined) ?? {};
  return spec.template ?? spec.jobTemplate?.spec?.template;
}

/** The container images of a Deployment or a CronJob (any pod-template owner). */
export function podImages(workload: KubeObject): string[] {
  const pod = podTemplate(workload)?.spec ?? {};
  return [...(pod.initContainers ?? []), ...(pod.containers ?? [])].map((c) => c.image ?? '');
}

/** Deep copy of JSON-shaped data (plain objects, so js-yaml dumps them in any realm; structuredClone's are not). */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
