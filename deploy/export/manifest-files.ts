/**
 * `npm run render`: the release the deploy command would apply, written to a folder as plain YAML that any cluster
 * can take with `kubectl apply --server-side -f <dir>` (or a GitOps tool can sync). The same offline preparation as
 * the deploy command (`prepare`: target, image grammar, outputs checks, placeholders, release shape), so the same
 * refusals; no cluster, no AWS call. Secrets are never written: the ones the release needs are named instead.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { inputError } from '../errors';
import { assertNoPlaceholders, toYaml, type KubeObject } from '../manifests';
import { prepare, type PrepareDeps, type PrepareOptions } from '../phases/prepare';

export interface RenderCommandOptions {
  readonly env: string;
  readonly image: string;
  /** `cdk deploy --outputs-file` JSON; required for aws environments, refused for portable targets. */
  readonly outputsFile?: string;
  /** Output folder (created when missing). */
  readonly outDir: string;
}

/** File written into the output folder. */
export const RENDERED_FILE = 'web.k8s.yaml';
/** First line of every rendered file: how `render` recognizes its own output when it writes the folder again. */
export const RENDERED_MARKER = '# Rendered by `npm run render`';

export interface RenderCommandResult {
  readonly file: string;
  readonly objects: readonly KubeObject[];
  /** What the operator must still provide (Secrets that are never written). */
  readonly notes: readonly string[];
}

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
  const prepareOptions: PrepareOptions = { env: options.env, image: options.image, outputsFile: options.outputsFile };
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
  for (const [name, keys] of referencedSecrets(release.deployment)) {
    if (!prepared.oidcSecrets.includes(name))
      notes.push(`Secret ${name}${keys.length ? ` (keys ${keys.join(', ')})` : ''} must exist in namespace ${release.namespace}: the pods read it (the operator creates it)`);
  }
  const header = [
    `${RENDERED_MARKER} for "${prepared.target.name}" with image ${options.image}; do not edit (render again).`,
    `# Apply: kubectl apply --server-side -f ${options.outDir}   (the Namespace comes first in this file)`,
    ...notes.map((n) => `# Needs: ${n}`),
  ].join('\n');
  const text = `${header}\n---\n${toYaml(objects)}`;
  assertNoPlaceholders([{ name: join(outDir, RENDERED_FILE), text }]);

  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, RENDERED_FILE);
  writeFileSync(file, text);
  return { file, objects, notes };
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

/** Secrets the pod template reads (env, envFrom, volumes), with the keys it reads, by name. */
function referencedSecrets(workload: KubeObject): Map<string, string[]> {
  type Container = { env?: { valueFrom?: { secretKeyRef?: { name?: string; key?: string } } }[]; envFrom?: { secretRef?: { name?: string } }[] };
  const pod =
    (workload.spec as { template?: { spec?: { containers?: Container[]; initContainers?: Container[]; volumes?: { secret?: { secretName?: string } }[] } } })?.template?.spec ?? {};
  const found = new Map<string, string[]>();
  const add = (name: string | undefined, key?: string) => {
    if (!name) return;
    const keys = found.get(name) ?? [];
    if (key && !keys.includes(key)) keys.push(key);
    found.set(name, keys);
  };
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    for (const e of c.env ?? []) add(e.valueFrom?.secretKeyRef?.name, e.valueFrom?.secretKeyRef?.key);
    for (const e of c.envFrom ?? []) add(e.secretRef?.name);
  }
  for (const v of pod.volumes ?? []) add(v.secret?.secretName);
  return found;
}
