/**
 * Per target, which Kubernetes objects a change adds, removes or changes, and which fields: a structural diff of
 * the synthesized manifests (`manifests/<target>/*.yaml`), keyed by kind, namespace and name. Lists of named items
 * (containers, env, ports, volumes) are matched by name, so a reordering is not a change. Container images are
 * also collected per pod template, so an image change is called out on its own.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import type { ChangeKind } from './cloudformation';

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly [key: string]: unknown;
}

export interface FieldChange {
  /** e.g. `spec.template.spec.containers[web].image`. */
  readonly path: string;
  /** Absent: the field was added. */
  readonly before?: unknown;
  /** Absent: the field was removed. */
  readonly after?: unknown;
}

export interface ObjectDiff {
  /** `Kind name` plus ` (namespace ns)` for namespaced objects. */
  readonly ref: string;
  readonly kind: Exclude<ChangeKind, 'unchanged'>;
  /** Changed fields (kind "changed" only). */
  readonly fields: readonly FieldChange[];
}

export interface ImageChange {
  /** e.g. `Deployment web, container web`. */
  readonly where: string;
  readonly before?: string;
  readonly after?: string;
}

export interface TargetDiff {
  readonly target: string;
  readonly kind: ChangeKind;
  readonly objects: readonly ObjectDiff[];
  readonly images: readonly ImageChange[];
}

/** `<dir>/<target>/*.yaml` → objects per target (folders in name order; a missing dir is no target). */
export function readManifestTree(dir: string): Map<string, KubeObject[]> {
  const targets = new Map<string, KubeObject[]>();
  if (!existsSync(dir)) return targets;
  for (const target of readdirSync(dir).sort()) {
    const folder = join(dir, target);
    if (!statSync(folder).isDirectory()) continue;
    const files = readdirSync(folder)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
    targets.set(
      target,
      files.flatMap((f) => parseObjects(readFileSync(join(folder, f), 'utf8'), join(folder, f))),
    );
  }
  return targets;
}

export function parseObjects(text: string, source: string): KubeObject[] {
  return (loadAll(text) as unknown[])
    .filter((doc) => doc !== null && doc !== undefined)
    .map((doc, i) => {
      const o = doc as Partial<KubeObject>;
      if (typeof o !== 'object' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
        throw new Error(`${source} (document ${i + 1}) is not a Kubernetes object (kind and metadata.name are required)`);
      }
      return o as KubeObject;
    });
}

const keyOf = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const refOf = (o: KubeObject) => `${o.kind} ${o.metadata.name}${o.metadata.namespace ? ` (namespace ${o.metadata.namespace})` : ''}`;

/** Every target of either side, head order first, then the removed ones. */
export function diffTargets(base: ReadonlyMap<string, readonly KubeObject[]>, head: ReadonlyMap<string, readonly KubeObject[]>): TargetDiff[] {
  const names = [...head.keys(), ...[...base.keys()].filter((name) => !head.has(name))];
  return names.map((name) => diffTarget(name, base.get(name), head.get(name)));
}

export function diffTarget(target: string, base: readonly KubeObject[] | undefined, head: readonly KubeObject[] | undefined): TargetDiff {
  const before = new Map((base ?? []).map((o) => [keyOf(o), o]));
  const after = new Map((head ?? []).map((o) => [keyOf(o), o]));
  const objects: ObjectDiff[] = [];
  for (const [key, o] of after) {
    const old = before.get(key);
    if (!old) objects.push({ ref: refOf(o), kind: 'added', fields: [] });
    else {
      const fields = diffValues(old, o, '');
      if (fields.length > 0) objects.push({ ref: refOf(o), kind: 'changed', fields });
    }
  }
  for (const [key, o] of before) if (!after.has(key)) objects.push({ ref: refOf(o), kind: 'removed', fields: [] });
  const kind: ChangeKind = !base ? 'added' : !head ? 'removed' : objects.length > 0 ? 'changed' : 'unchanged';
  return { target, kind, objects, images: diffImages(base ?? [], head ?? []) };
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const named = (list: unknown[]): list is { name: string }[] =>
  list.length > 0 && list.every((item) => isMap(item) && typeof item.name === 'string') && new Set(list.map((item) => (item as { name: string }).name)).size === list.length;

function diffValues(before: unknown, after: unknown, path: string): FieldChange[] {
  if (isMap(before) && isMap(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => {
      const p = path ? `${path}.${k}` : k;
      if (!(k in after)) return [{ path: p, before: before[k] }];
      if (!(k in before)) return [{ path: p, after: after[k] }];
      return diffValues(before[k], after[k], p);
    });
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    if (named(before) && named(after)) {
      const b = new Map(before.map((item) => [item.name, item]));
      const a = new Map(after.map((item) => [item.name, item]));
      return [...new Set([...b.keys(), ...a.keys()])].flatMap((name) => {
        const p = `${path}[${name}]`;
        if (!a.has(name)) return [{ path: p, before: b.get(name) }];
        if (!b.has(name)) return [{ path: p, after: a.get(name) }];
        return diffValues(b.get(name), a.get(name), p);
      });
    }
    if (before.length === after.length) return before.flatMap((item, i) => diffValues(item, after[i], `${path}[${i}]`));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path, before, after }];
}

const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

/** Container images per pod template (`Deployment web, container web` → image). */
export function imagesOf(objects: readonly KubeObject[]): Map<string, string> {
  const images = new Map<string, string>();
  for (const o of objects) {
    const spec = o.spec as { template?: { spec?: PodSpec }; jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } } | undefined;
    const pod = POD_TEMPLATE_KINDS.has(o.kind) ? spec?.template?.spec : o.kind === 'CronJob' ? spec?.jobTemplate?.spec?.template?.spec : undefined;
    for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) images.set(`${o.kind} ${o.metadata.name}, container ${c.name}`, c.image ?? '');
  }
  return images;
}

interface PodSpec {
  readonly containers?: readonly { name: string; image?: string }[];
  readonly initContainers?: readonly { name: string; image?: string }[];
}

function diffImages(base: readonly KubeObject[], head: readonly KubeObject[]): ImageChange[] {
  const before = imagesOf(base);
  const after = imagesOf(head);
  const changes: ImageChange[] = [];
  for (const [where, image] of after) if (before.get(where) !== image) changes.push({ where, before: before.get(where), after: image });
  for (const [where, image] of before) if (!after.has(where)) changes.push({ where, before: image });
  return changes;
}
