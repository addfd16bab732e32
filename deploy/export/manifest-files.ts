/**
 * `npm run render`: the release the deploy command would apply, written to a folder as plain YAML that any cluster
 * can take with `kubectl apply --server-side -f <dir>` (or a GitOps tool can sync). The same offline preparation as
 * the deploy command (`prepare`: target, image grammar, outputs checks, placeholders, release shape), so the same
 * refusals; no cluster, no AWS call. Secrets are never written: the ones the release needs are named instead.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseImageArgs } from '../args';
import { inputError } from '../errors';
import { assertNoPlaceholders, toYaml, type KubeObject } from '../manifests';
import { prepare, resolveTarget, targetImages, type PrepareDeps, type PrepareOptions } from '../phases/prepare';

export interface RenderCommandOptions {
  readonly env: string;
  /**
   * The `--image` values as given: `<name>=<ref>` per image name of the configuration, or one bare `<ref>` when the
   * target runs exactly one image.
   */
  readonly images: readonly string[];
  /** `cdk deploy --outputs-file` JSON; required for aws environments, refused for portable targets. */
  readonly outputsFile?: string;
  /** Output folder (created when missing). */
  readonly outDir: string;
}

/** First line of every rendered file: how `render` recognizes its own output when it writes the folder again. */
export const RENDERED_MARKER = '# Rendered by `npm run render`';

export interface RenderCommandResult {
  /** Files written, namespace file first, then one per workload. */
  readonly files: readonly string[];
  readonly objects: readonly KubeObject[];
  /** What the operator must still provide (Secrets that are never written). */
  readonly notes: readonly string[];
}

/** The --image values (shared with the deploy command). */
export { parseImageArgs } from '../args';

/**
 * Renders and writes; throws DeployError (exit 2) before writing anything on bad input.
 * `repoRoot`: the committed review manifests (`<repoRoot>/manifests`) are never overwritten.
 */
export function renderRelease(options: RenderCommandOptions, deps: PrepareDeps & { readonly repoRoot: string }): RenderCommandResult {
  const target = deps.config.environments.find((e) => e.name === options.env);
  if (target && !options.outputsFile) {
    throw inputError(
      `environment "${options.env}" needs --outputs <cdk-outputs.json> (the values "cdk deploy" produced): its manifests carry the certificate, the user pool, the pod role…`,
    );
  }
  const outDir = checkOutDir(options.outDir, deps.repoRoot);
  const images = imagesByName(options.images, deps, options.env);
  const prepareOptions: PrepareOptions = { env: options.env, images, outputsFile: options.outputsFile, everyImage: true };
  const prepared = prepare(prepareOptions, deps);
  const { release } = prepared;
  const objects = [...(release.namespaceObject ? [release.namespaceObject] : []), ...release.objects];
  if (objects.some((o) => o.kind === 'Secret')) throw inputError('the rendered release contains a Secret; render never writes Secrets (create them in the cluster instead)');

  const notes: string[] = [];
  for (const name of prepared.oidcSecrets) {
    notes.push(
      `Secret ${name} (keys clientID, clientSecret) must exist in namespace ${release.namespace} before the Ingress works: ` +
        `the deploy command creates it from Secrets Manager (${prepared.outputs!.userPoolClientSecretArn}); render never writes it`,
    );
  }
  for (const [name, keys] of referencedSecrets(release.objects)) {
    if (!prepared.oidcSecrets.includes(name))
      notes.push(`Secret ${name}${keys.length ? ` (keys ${keys.join(', ')})` : ''} must exist in namespace ${release.namespace}: the pods read it (the operator creates it)`);
  }
  const imageList = Object.entries(images)
    .map(([name, ref]) => `${name}=${ref}`)
    .join(', ');
  // The file of the namespace-level objects (charts/app.ts NAMESPACE_FILE): applied before the workloads' files.
  const namespaceFile = join(options.outDir, prepared.files!.find((f) => !f.workload)!.file);
  const texts = prepared.files!.map((f) => {
    const header = [
      `${RENDERED_MARKER} for "${prepared.target.name}" with image ${imageList}; do not edit (render again).`,
      f.workload
        ? `# Workload ${f.workload}. Apply: kubectl apply --server-side -f ${namespaceFile} first, then -f ${options.outDir}`
        : `# The namespace-level objects (the Namespace first): apply this file first (kubectl apply --server-side -f ${namespaceFile}), then -f ${options.outDir}`,
      ...(f.workload ? [] : notes.map((n) => `# Needs: ${n}`)),
    ].join('\n');
    return { name: join(outDir, f.file), text: `${header}\n---\n${toYaml(f.objects)}` };
  });
  assertNoPlaceholders(texts);

  mkdirSync(outDir, { recursive: true });
  for (const stale of ownFiles(outDir).filter((f) => !texts.some((t) => t.name === join(outDir, f)))) rmSync(join(outDir, stale));
  for (const t of texts) writeFileSync(t.name, t.text);
  return { files: texts.map((t) => t.name), objects, notes };
}

/**
 * A reference per image name the target runs. A bare reference stands for the target's one image; with several
 * images it is refused, naming them. Unknown and missing names are refused by `prepare`.
 */
function imagesByName(values: readonly string[], deps: PrepareDeps, env: string): Record<string, string> {
  const { bare, named } = parseImageArgs(values);
  if (bare === undefined) return { ...named };
  const used = targetImages(deps.config, resolveTarget(deps.config, env));
  if (used.length !== 1) {
    throw inputError(
      `--image ${bare}: "${env}" runs ${used.length} images (${used.map((n) => `"${n}"`).join(', ')}); name each: ${used.map((n) => `--image ${n}=<ref>`).join(' ')}`,
    );
  }
  return { [used[0]]: bare };
}

/** The YAML files in the folder that an earlier render wrote. */
function ownFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f) && readFileSync(join(dir, f), 'utf8').startsWith(RENDERED_MARKER));
}

/** The output folder: not the committed review manifests, and holding no YAML that render did not write. */
function checkOutDir(outDir: string, repoRoot: string): string {
  if (outDir.trim() === '') throw inputError('--out is empty; expected a folder, e.g. --out rendered/generic');
  const dir = resolve(outDir);
  const real = (p: string) => (existsSync(p) ? realpathSync(p) : p);
  const committed = real(resolve(repoRoot, 'manifests'));
  const rel = relative(committed, real(dir));
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
    throw inputError(
      `--out ${outDir} is inside manifests/, the committed review copies (npm run synth writes them, CI checks them): choose another folder, e.g. --out rendered/<env>`,
    );
  }
  if (existsSync(dir)) {
    const foreign = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f) && !readFileSync(join(dir, f), 'utf8').startsWith(RENDERED_MARKER));
    if (foreign.length > 0) {
      throw inputError(`--out ${outDir} already holds ${foreign.join(', ')}, not written by render: kubectl apply -f would apply them too; choose an empty folder`);
    }
  }
  return dir;
}

/** Secrets the pod templates (Deployments, CronJobs) read (env, envFrom, volumes), with the keys they read, by name. */
function referencedSecrets(objects: readonly KubeObject[]): Map<string, string[]> {
  type Container = { env?: { valueFrom?: { secretKeyRef?: { name?: string; key?: string } } }[]; envFrom?: { secretRef?: { name?: string } }[] };
  type PodSpec = { containers?: Container[]; initContainers?: Container[]; volumes?: { secret?: { secretName?: string } }[] };
  type Spec = { template?: { spec?: PodSpec }; jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } };
  const found = new Map<string, string[]>();
  const add = (name: string | undefined, key?: string) => {
    if (!name) return;
    const keys = found.get(name) ?? [];
    if (key && !keys.includes(key)) keys.push(key);
    found.set(name, keys);
  };
  for (const o of objects) {
    const spec = o.spec as Spec | undefined;
    const pod = spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec;
    if (!pod) continue;
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      for (const e of c.env ?? []) add(e.valueFrom?.secretKeyRef?.name, e.valueFrom?.secretKeyRef?.key);
      for (const e of c.envFrom ?? []) add(e.secretRef?.name);
    }
    for (const v of pod.volumes ?? []) add(v.secret?.secretName);
  }
  return found;
}
