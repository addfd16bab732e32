/**
 * The deploy flow: validate everything offline, resolve and check the cluster, then apply (server-side, with
 * ApplySet pruning), watch the rollout live, and roll back automatically when it fails.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import {
  checkDeployImage,
  environmentStackName,
  findTarget,
  ImageReferenceError,
  outputMismatches,
  OutputsError,
  parseImageReference,
  readWorkloadOutputs,
  type DeployTarget,
  type EnvironmentConfig,
  type PlatformConfig,
  type WorkloadOutputs,
} from '../config';
import type { DeployOptions } from './args';
import type { AwsClientOptions, TemporaryEksKubeconfig } from './eks';
import { clusterError, DeployError, EXIT, inputError, type ExitCode } from './errors';
import { findKubectl, Kubectl, parseMinor } from './kubectl';
import {
  assertNoPlaceholders,
  bindingsToReleaseRoles,
  namespaceLabelDrift,
  parseManifests,
  podImages,
  prepareRelease,
  readManifestDir,
  toYaml,
  type KubeObject,
  type ManifestSource,
  type ReleaseSet,
} from './manifests';
import { autoscalerMinReplicas, describeUnreadyPods, evaluateRollout, progressLine, type DeploymentLike, type EventLike, type PodLike, type RolloutState } from './rollout';
import { oidcClientSecretObject, oidcSecretNames, redact } from './secrets';

export const FIELD_MANAGER = 'platform-deploy';
/** Name of the ApplySet parent (a Secret in the workload namespace): one release per namespace. */
export const APPLYSET_NAME = 'platform-release';
export const DEPLOYMENT_NAME = 'web';

export type RenderFn = (
  config: PlatformConfig,
  target: string,
  options: { image: string; outputs?: WorkloadOutputs },
) => { yaml: string; objects?: unknown[] };

export type ResolvedTarget = DeployTarget & { readonly namespace: string };

export interface DeployDeps {
  readonly config: PlatformConfig;
  readonly render: RenderFn;
  readonly log: (line: string) => void;
  /** The process environment, read once by the entry point (KUBECONFIG, KUBECTL, PLATFORM_CACHE_DIR; passed to kubectl). */
  readonly env: NodeJS.ProcessEnv;
  /** Where `.deploy/<env>/` is written (the repository root). */
  readonly workdir: string;
  /**
   * Poll interval of the rollout watch (ms).
   * @default 1000
   */
  readonly pollMs?: number;
}

export interface DeployResult {
  readonly outcome: 'applied' | 'dry-run' | 'diff' | 'rolled-back' | 'rollback-failed';
  readonly exitCode: ExitCode;
  readonly applySeconds?: number;
  readonly rolloutSeconds?: number;
  readonly detectSeconds?: number;
  readonly restoreSeconds?: number;
  readonly totalSeconds?: number;
}

/** Environment (aws) or portable target by name; the error lists every allowed name. */
export function resolveTarget(config: PlatformConfig, name: string): ResolvedTarget {
  const target = findTarget(config, name);
  if (target) return { ...target, namespace: target.kind === 'aws' ? target.env.workload.namespace : target.target.workload.namespace };
  const allowed = [...config.environments.map((e) => `"${e.name}" (aws)`), ...config.portableTargets.map((t) => `"${t.name}" (portable)`)];
  throw inputError(`unknown environment ${JSON.stringify(name)}; allowed: ${allowed.join(', ')}`);
}

/** Reads and checks the outputs file for an aws environment (stack, every field, environment, region, namespace). */
export function loadOutputs(file: string, config: PlatformConfig, env: EnvironmentConfig): WorkloadOutputs {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw inputError(`cannot read --outputs ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  let outputs: WorkloadOutputs;
  try {
    outputs = readWorkloadOutputs(doc, environmentStackName(config.project, env.name));
  } catch (e) {
    if (e instanceof OutputsError) throw inputError(`--outputs ${file}: ${e.message}`);
    throw e;
  }
  const expected = { environment: env.name, region: env.region, namespace: env.workload.namespace, userPoolRegion: config.identity.region };
  const problems = outputMismatches(outputs, expected).map(({ field, actual }) =>
    field === 'region'
      ? `region is "${actual}" but environment "${env.name}" is configured in "${env.region}" (wrong region)`
      : `${field} is "${actual}", expected "${expected[field]}"`,
  );
  if (problems.length > 0) throw inputError(`--outputs ${file} does not match environment "${env.name}":\n  - ${problems.join('\n  - ')}`);
  return outputs;
}

/** The shared image grammar (`config/image.ts`); a malformed or mutable reference is invalid input (exit 2). */
function checkImageReference(image: string, what: string): void {
  try {
    parseImageReference(image);
  } catch (e) {
    if (e instanceof ImageReferenceError) throw inputError(`${what}: ${e.message}`);
    throw e;
  }
}

/** Everything that can be checked without a cluster: the release to apply, or a DeployError (exit 2). */
export interface PreparedRelease {
  readonly target: ResolvedTarget;
  readonly outputs?: WorkloadOutputs;
  readonly release: ReleaseSet;
  readonly sources: readonly ManifestSource[];
  /** Names of OIDC client Secrets the Ingresses need (created from Secrets Manager). */
  readonly oidcSecrets: readonly string[];
  /** Warnings of the image policy (`checkDeployImage`), printed before anything is applied. */
  readonly imageWarnings: readonly string[];
}

export function prepare(options: DeployOptions, deps: Pick<DeployDeps, 'config' | 'render'>): PreparedRelease {
  const { config } = deps;
  const target = resolveTarget(config, options.env);
  if (options.image !== undefined) {
    checkImageReference(options.image, '--image');
  }
  let outputs: WorkloadOutputs | undefined;
  if (target.kind === 'portable') {
    if (options.outputsFile) throw inputError(`--outputs is for aws environments; "${target.name}" is a portable target and takes no cloud outputs`);
  } else if (options.outputsFile) {
    outputs = loadOutputs(options.outputsFile, config, target.env);
  } else if (!options.manifestsDir) {
    throw inputError(`environment "${target.name}" needs --outputs <cdk-outputs.json> (the values "cdk deploy" produced), or --manifests <dir> with rendered manifests`);
  } else if (!options.kubeconfig) {
    throw inputError(`environment "${target.name}" needs --outputs to find its EKS cluster (or --kubeconfig for another cluster)`);
  }

  let sources: ManifestSource[];
  if (options.manifestsDir) {
    sources = readManifestDir(options.manifestsDir);
  } else {
    let rendered;
    try {
      rendered = deps.render(config, target.name, { image: options.image!, outputs });
    } catch (e) {
      throw inputError(`cannot render "${target.name}": ${(e as Error).message}`);
    }
    sources = [{ name: `<rendered ${target.name}>`, text: rendered.yaml }];
  }
  assertNoPlaceholders(sources);
  const release = prepareRelease(parseManifests(sources), target.namespace, DEPLOYMENT_NAME, target.name);

  const images = podImages(release.deployment);
  for (const image of images) checkImageReference(image, `Deployment ${DEPLOYMENT_NAME}`);
  // Production: by digest only; elsewhere a tag outside ECR is allowed with a warning (config/image.ts).
  const production = target.kind === 'aws' && target.env.production;
  const imageWarnings: string[] = [];
  for (const image of images) {
    try {
      imageWarnings.push(...checkDeployImage(image, { name: target.name, production }).warnings);
    } catch (e) {
      if (e instanceof ImageReferenceError) throw inputError(`Deployment ${DEPLOYMENT_NAME}: ${e.message}`);
      throw e;
    }
  }
  if (options.image && !images.includes(options.image)) {
    throw inputError(`the rendered Deployment runs ${images.join(', ')}, not the requested image ${options.image}`);
  }
  const oidcSecrets = oidcSecretNames(release.objects);
  if (oidcSecrets.length > 0 && !outputs) {
    throw inputError(`the Ingress authenticates through OIDC and needs Secret ${oidcSecrets.join(', ')} from Secrets Manager: pass --outputs <cdk-outputs.json>`);
  }
  return { target, outputs, release, sources, oidcSecrets, imageWarnings };
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** The whole command. Returns the result; throws DeployError for refusals before anything was applied. */
export async function deploy(options: DeployOptions, deps: DeployDeps): Promise<DeployResult> {
  const log = deps.log;
  const { env } = deps;
  const prepared = prepare(options, deps);
  const { target, outputs, release } = prepared;
  for (const warning of prepared.imageWarnings) log(`warning: ${warning}`);
  const aws: AwsClientOptions = { endpoint: options.awsEndpoint };

  // Which kubeconfig (checked before anything is read from AWS): --kubeconfig, else for a portable target
  // KUBECONFIG, which kubectl reads from its environment itself (a list "a:b" is fine there, not in --kubeconfig);
  // else (aws) a temporary one for the EKS cluster, made below.
  const envKubeconfig = !options.kubeconfig && target.kind === 'portable' ? env.KUBECONFIG || undefined : undefined;
  if (target.kind === 'portable' && !options.kubeconfig && !envKubeconfig) {
    throw inputError(`portable target "${target.name}" needs --kubeconfig <path> (or KUBECONFIG) naming its cluster`);
  }
  if (options.kubeconfig && !existsSync(options.kubeconfig)) throw inputError(`--kubeconfig ${options.kubeconfig} does not exist`);
  if (envKubeconfig && !existsSync(envKubeconfig.split(delimiter)[0])) throw inputError(`KUBECONFIG ${envKubeconfig} does not exist`);

  // The OIDC client Secret (value only in memory; piped to kubectl's stdin).
  const secrets: KubeObject[] = [];
  if (prepared.oidcSecrets.length > 0) {
    const { readOidcClientSecret } = await import('./secrets-manager');
    const credentials = await readOidcClientSecret(outputs!.userPoolClientSecretArn, aws);
    for (const name of prepared.oidcSecrets) secrets.push(oidcClientSecretObject(name, release.namespace, credentials, target.name));
    log(`OIDC client Secret ${prepared.oidcSecrets.join(', ')}: read from Secrets Manager (value not shown)`);
  }

  // The cluster.
  let eks: TemporaryEksKubeconfig | undefined;
  let kubeconfig = options.kubeconfig;
  try {
    if (!kubeconfig && !envKubeconfig) {
      const { describeEksCluster, TemporaryEksKubeconfig } = await import('./eks');
      const cluster = await describeEksCluster(outputs!.clusterName, outputs!.region, aws);
      eks = await TemporaryEksKubeconfig.create(cluster);
      kubeconfig = eks.path;
      log(`cluster: EKS ${cluster.arn} (Kubernetes ${cluster.version ?? '?'}) at ${cluster.endpoint}`);
    }
    const kubectl = new Kubectl(findKubectl(env), { kubeconfig, context: options.context, beforeRun: eks ? () => eks!.refresh() : undefined }, env);
    return await deployTo(kubectl, prepared, secrets, options, deps, log);
  } finally {
    eks?.dispose();
  }
}

async function deployTo(
  kubectl: Kubectl,
  prepared: PreparedRelease,
  secrets: readonly KubeObject[],
  options: DeployOptions,
  deps: DeployDeps,
  log: (line: string) => void,
): Promise<DeployResult> {
  const { target } = prepared;
  let release = prepared.release;
  const ns = release.namespace;

  // kubectl itself: ApplySet pruning needs 1.27+.
  const client = await kubectl.run(['version', '--client', '-o', 'json']);
  const clientVersion = client.code === 0 ? (JSON.parse(client.stdout).clientVersion?.gitVersion as string) : undefined;
  const minor = clientVersion ? parseMinor(clientVersion) : undefined;
  if (!minor || minor[0] < 1 || (minor[0] === 1 && minor[1] < 27)) {
    throw inputError(`${kubectl.binary} (${clientVersion ?? client.stderr.trim()}) cannot prune with ApplySets: kubectl 1.27 or newer is required (set KUBECTL)`);
  }

  // The cluster answers, and is the expected one.
  const view = await kubectl.run(['config', 'view', '--minify', '-o', 'json']);
  const server = view.code === 0 ? ((JSON.parse(view.stdout).clusters?.[0]?.cluster?.server as string | undefined) ?? '?') : '?';
  if (view.code !== 0) throw inputError(`the kubeconfig has no usable context${options.context ? ` "${options.context}"` : ''}: ${view.stderr.trim()}`);
  if (target.kind === 'aws' && prepared.outputs) {
    const eksRegion = /\.([a-z]{2}(?:-[a-z]+)+-\d)\.eks\.amazonaws\.com/.exec(server)?.[1];
    if (eksRegion && eksRegion !== prepared.outputs.region) {
      throw clusterError(`the kubeconfig points at an EKS endpoint in ${eksRegion} (${server}), but environment "${target.name}" runs in ${prepared.outputs.region}: wrong cluster`);
    }
  }
  const version = await kubectl.run(['get', '--raw=/version', '--request-timeout=15s']);
  if (version.code !== 0) throw clusterError(`cannot reach the cluster at ${server}: ${version.stderr.trim().split('\n').slice(-2).join(' ')}`);
  const serverVersion = (JSON.parse(version.stdout) as { gitVersion?: string }).gitVersion ?? '?';
  log(`cluster: ${server} (Kubernetes ${serverVersion}); kubectl ${clientVersion}`);
  if (target.kind === 'aws') {
    const want = target.env.cluster.kubernetesVersion;
    const got = parseMinor(serverVersion);
    if (got && `${got[0]}.${got[1]}` !== want) log(`warning: the cluster runs ${got[0]}.${got[1]}, environment "${target.name}" is configured for ${want}`);
  }

  // Namespace-scoped credentials (the CI role's EKS access entry: AmazonEKSAdminPolicy, i.e. ClusterRole `admin`,
  // bound in the app namespace only) may read the Namespace (`admin` includes get on it) but not patch it, or not
  // even read it: then it must already exist (created with the cluster) and is left as it is.
  const nsGet = await kubectl.run(['get', 'namespace', ns, '-o', 'json', '--ignore-not-found']);
  const nsForbidden = nsGet.code !== 0 && /forbidden/i.test(nsGet.stderr);
  if (nsGet.code !== 0 && !nsForbidden) throw clusterError(`cannot read namespace ${ns}: ${nsGet.stderr.trim()}`);
  if (nsForbidden) {
    log(`warning: these credentials may not read Namespace ${ns} (namespace-scoped access): assuming it exists and leaving it (and its labels) as they are`);
    release = { ...release, namespaceObject: undefined };
  } else if (release.namespaceObject) {
    const live = nsGet.stdout.trim() ? (JSON.parse(nsGet.stdout) as KubeObject) : undefined;
    // Server-side apply is a PATCH (that creates the object when it is missing).
    const verb = live ? 'patch' : 'create';
    // `-n`: the authorizer sees a request for namespaces/<ns> as one inside namespace <ns> (where RoleBindings apply).
    const can = await kubectl.run(['auth', 'can-i', verb, ...(live ? [`namespaces/${ns}`, '-n', ns] : ['namespaces'])]);
    if (can.stdout.trim() === 'no') {
      if (!live) {
        throw inputError(`namespace ${ns} does not exist and these credentials may not create it (namespace-scoped access): create it with the cluster first (nothing applied)`);
      }
      const drift = namespaceLabelDrift(release.namespaceObject, live);
      log(
        `warning: these credentials may not change Namespace ${ns} (namespace-scoped access): leaving it as it is` +
          (drift.length > 0 ? `; it lacks ${drift.join(', ')} — set them where the Namespace is created` : ' (its labels match the release)'),
      );
      release = { ...release, namespaceObject: undefined };
    }
  }
  const nsExists = nsForbidden || nsGet.stdout.trim() !== '';
  const all = [...(release.namespaceObject ? [release.namespaceObject] : []), ...secrets, ...release.objects];
  const applyArgs = ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts'];

  // Nothing is applied until the API server accepts every object (server-side dry run, with admission).
  // Except a RoleBinding to a Role this release creates: without the `bind` verb (namespace-scoped credentials:
  // ClusterRole admin has none), the API server checks a binding against the rules of its Role, which a dry run
  // has not created. Such a binding is validated by the apply itself, right after its Role.
  const deferred: KubeObject[] = [];
  const releaseBindings = nsExists ? bindingsToReleaseRoles(release.objects) : [];
  if (releaseBindings.length > 0 && (await kubectl.run(['auth', 'can-i', 'bind', 'roles.rbac.authorization.k8s.io', '-n', ns])).stdout.trim() !== 'yes') {
    for (const { binding, role } of releaseBindings) {
      const got = await kubectl.run(['get', 'role.rbac.authorization.k8s.io', role, '-n', ns, '-o', 'name', '--ignore-not-found']);
      if (got.code === 0 && got.stdout.trim() === '') deferred.push(binding);
    }
    if (deferred.length > 0) {
      log(`${deferred.map((b) => `RoleBinding ${b.metadata.name}`).join(', ')}: not in the dry run (binds a Role this release creates first); validated by the apply itself`);
    }
  }
  const preflightObjects = nsExists ? all.filter((o) => !deferred.includes(o)) : release.namespaceObject ? [release.namespaceObject] : [];
  if (preflightObjects.length > 0) {
    const dry = await kubectl.run([...applyArgs, '--dry-run=server', '-f', '-'], { input: toYaml(preflightObjects) });
    if (dry.code !== 0) throw inputError(`the API server rejects the release (server-side dry run; nothing applied):\n${indent(dry.stderr.trim())}`);
  }
  if (!nsExists) log(`namespace ${ns} does not exist yet: namespaced objects are validated by the apply itself`);
  else log(`server-side dry run: ${preflightObjects.length} objects accepted`);

  // Review copy: every Secret redacted, the OIDC client Secret and any Secret of pre-rendered --manifests alike.
  const dir = join(deps.workdir, '.deploy', target.name);
  mkdirSync(dir, { recursive: true });
  const reviewFile = join(dir, 'manifests.yaml');
  writeFileSync(
    reviewFile,
    `# ${options.manifestsDir ? `from ${options.manifestsDir}` : `rendered for ${target.name}, image ${options.image}`} — what npm run deploy applies (Secret values redacted)\n` +
      toYaml(all.map(redact)),
  );
  log(`manifests: ${reviewFile}`);

  if (options.mode === 'diff') {
    const diff = await kubectl.run(['diff', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', '-f', '-'], { input: toYaml(all.filter((o) => !deferred.includes(o))) });
    if (diff.code > 1) throw clusterError(`kubectl diff failed: ${diff.stderr.trim()}`);
    log(diff.code === 0 ? 'diff: no changes' : diff.stdout.trimEnd());
    return { outcome: 'diff', exitCode: EXIT.ok };
  }

  const applysetEnv = { KUBECTL_APPLYSET: 'true' };
  const applySetArgs = [...applyArgs, '--prune', `--applyset=${APPLYSET_NAME}`, '-n', ns];
  if (options.mode === 'dry-run') {
    if (nsExists) {
      const objects = [...secrets, ...release.objects].filter((o) => !deferred.includes(o));
      const dry = await kubectl.run([...applySetArgs, '--dry-run=server', '-f', '-'], { input: toYaml(objects), env: applysetEnv });
      if (dry.code !== 0) throw inputError(`server-side dry run failed:\n${indent(dry.stderr.trim())}`);
      log(dry.stdout.trimEnd());
    }
    log('dry run: nothing was changed');
    return { outcome: 'dry-run', exitCode: EXIT.ok };
  }

  // What runs now: the revision to return to if this release fails. A failed read must not pass for "no Deployment
  // yet": the release would then go out without a way back (a failure would end in exit 4 instead of a rollback).
  const before = await kubectl.run(['get', 'deployment', DEPLOYMENT_NAME, '-n', ns, '-o', 'json', '--ignore-not-found']);
  if (before.code !== 0) {
    throw clusterError(`cannot read deployment/${DEPLOYMENT_NAME} in ${ns} to know the revision to roll back to (nothing applied): ${before.stderr.trim()}`);
  }
  const previous = before.stdout.trim() ? (JSON.parse(before.stdout) as DeploymentLike & { spec?: { template?: unknown } }) : undefined;
  const previousRevision = previous?.metadata?.annotations?.['deployment.kubernetes.io/revision'];
  const previousImages = previous ? podImages(previous as unknown as KubeObject) : [];

  // Apply: the Namespace first (never pruned), then the release as one ApplySet (objects removed from it are pruned).
  const tStart = Date.now();
  if (release.namespaceObject) {
    const r = await kubectl.run([...applyArgs, '-f', '-'], { input: toYaml([release.namespaceObject]) });
    if (r.code !== 0) throw new DeployError(`applying Namespace ${ns} failed:\n${indent(r.stderr.trim())}`, EXIT.applyFailed);
    log(r.stdout.trimEnd());
  }
  const applied = await kubectl.run([...applySetArgs, '-f', '-'], { input: toYaml([...secrets, ...release.objects]), env: applysetEnv });
  if (applied.code !== 0) {
    throw new DeployError(`apply failed (some objects may be at the new version):\n${indent(applied.stderr.trim())}\n${indent(applied.stdout.trim())}`, EXIT.applyFailed);
  }
  log(applied.stdout.trimEnd());
  const tApplied = Date.now();
  // The HorizontalPodAutoscaler owns spec.replicas (the chart leaves it unset): a first release starts at 1 replica,
  // and is only done once the autoscaler has raised the Deployment to its minReplicas.
  const minReplicas = autoscalerMinReplicas(release.objects, DEPLOYMENT_NAME);
  log(
    `applied in ${seconds(tApplied - tStart)}s; watching the rollout of deployment/${DEPLOYMENT_NAME} (timeout ${options.timeoutSeconds}s` +
      `${minReplicas !== undefined ? `; done when at least ${minReplicas} replicas (HorizontalPodAutoscaler minReplicas) are available` : ''})`,
  );

  const outcome = await watchRollout(kubectl, ns, tApplied, options.timeoutSeconds * 1000, deps.pollMs ?? 1000, log, false, minReplicas);
  const tDone = Date.now();
  if (outcome.phase === 'complete') {
    log(
      `✓ ${target.name}: deployment/${DEPLOYMENT_NAME} rolled out (${outcome.state.available} replicas available, image ${podImages(release.deployment).join(', ')})` +
        ` — apply ${seconds(tApplied - tStart)}s, rollout ${seconds(tDone - tApplied)}s, total ${seconds(tDone - tStart)}s`,
    );
    return { outcome: 'applied', exitCode: EXIT.ok, applySeconds: seconds(tApplied - tStart), rolloutSeconds: seconds(tDone - tApplied), totalSeconds: seconds(tDone - tStart) };
  }

  // Failed: say why, restore the previous revision, wait until it is healthy.
  const report: string[] = [`✗ ${target.name}: the release of ${podImages(release.deployment).join(', ')} failed: ${outcome.reason}`];
  report.push(...(await diagnose(kubectl, ns, release.deployment)).map((l) => `  ${l}`));
  const detectSeconds = seconds(tDone - tApplied);
  if (!previousRevision) {
    report.push(`  no previous revision of deployment/${DEPLOYMENT_NAME} to roll back to (first release): fix the release and deploy again`);
    report.push(`  timings: apply ${seconds(tApplied - tStart)}s · apply→failure detected ${detectSeconds}s`);
    log(report.join('\n'));
    return { outcome: 'rollback-failed', exitCode: EXIT.rollbackFailed, applySeconds: seconds(tApplied - tStart), detectSeconds };
  }
  log(`rolling back deployment/${DEPLOYMENT_NAME} to revision ${previousRevision} (${previousImages.join(', ')})`);
  const undo = await kubectl.run(['rollout', 'undo', `deployment/${DEPLOYMENT_NAME}`, '-n', ns, `--to-revision=${previousRevision}`]);
  let restored: RolloutOutcome | undefined;
  if (undo.code !== 0) report.push(`  rollback failed: ${undo.stderr.trim()}`);
  else restored = await watchRollout(kubectl, ns, Date.now(), Math.max(options.timeoutSeconds, 120) * 1000, deps.pollMs ?? 1000, log, true, minReplicas);
  const tRestored = Date.now();
  const timings = `timings: apply ${seconds(tApplied - tStart)}s · apply→failure detected ${detectSeconds}s · detected→restored ${seconds(tRestored - tDone)}s · apply→restored ${seconds(tRestored - tApplied)}s`;
  if (restored?.phase === 'complete') {
    report.push(`  rolled back to revision ${previousRevision} (${previousImages.join(', ')}): ${restored.state.available}/${restored.state.desired} replicas available again`);
    report.push(`  note: only the Deployment was rolled back; the other applied objects (ConfigMap, Service, …) stay at the new version`);
    report.push(`  ${timings}`);
    log(report.join('\n'));
    return {
      outcome: 'rolled-back',
      exitCode: EXIT.rolledBack,
      applySeconds: seconds(tApplied - tStart),
      detectSeconds,
      restoreSeconds: seconds(tRestored - tDone),
      totalSeconds: seconds(tRestored - tStart),
    };
  }
  if (restored) report.push(`  the previous revision did not become healthy again: ${restored.reason}`);
  report.push(`  ${timings}`);
  log(report.join('\n'));
  return { outcome: 'rollback-failed', exitCode: EXIT.rollbackFailed, applySeconds: seconds(tApplied - tStart), detectSeconds };
}

interface RolloutOutcome {
  readonly phase: 'complete' | 'failed';
  readonly state: RolloutState;
  readonly reason: string;
}

/** Polls the Deployment until it completes, fails (progress deadline) or times out; prints a line on every change. */
async function watchRollout(
  kubectl: Kubectl,
  ns: string,
  t0: number,
  timeoutMs: number,
  pollMs: number,
  log: (l: string) => void,
  restoring: boolean,
  minReplicas: number | undefined,
): Promise<RolloutOutcome> {
  let last = '';
  let lastState: RolloutState | undefined;
  let errors = 0;
  for (;;) {
    const r = await kubectl.run(['get', 'deployment', DEPLOYMENT_NAME, '-n', ns, '-o', 'json', '--request-timeout=10s']);
    if (r.code === 0) {
      errors = 0;
      const state = evaluateRollout(JSON.parse(r.stdout) as DeploymentLike, { minReplicas });
      lastState = state;
      const line = `${restoring ? 'restore' : 'rollout'}: ${progressLine(state)}${state.phase === 'progressing' ? '' : ` — ${state.phase}`}`;
      if (line !== last) log(`  [${seconds(Date.now() - t0).toFixed(1).padStart(5)}s] ${line}`);
      last = line;
      if (state.phase === 'complete') return { phase: 'complete', state, reason: state.reason };
      // While restoring, the old ProgressDeadlineExceeded condition can linger until the controller catches up: only the timeout counts.
      if (state.phase === 'failed' && !restoring) return { phase: 'failed', state, reason: state.reason };
    } else if (++errors >= 10) {
      return { phase: 'failed', state: lastState ?? evaluateRollout({}), reason: `cannot read deployment/${DEPLOYMENT_NAME}: ${r.stderr.trim()}` };
    }
    if (Date.now() - t0 > timeoutMs) {
      return { phase: 'failed', state: lastState ?? evaluateRollout({}), reason: `timeout after ${Math.round(timeoutMs / 1000)}s (${lastState?.reason ?? 'no status'})` };
    }
    await new Promise((res) => setTimeout(res, pollMs));
  }
}

/** Which pods are not ready and why (conditions, container states, recent events). */
async function diagnose(kubectl: Kubectl, ns: string, deployment: KubeObject): Promise<string[]> {
  const selector = Object.entries(((deployment.spec as { selector?: { matchLabels?: Record<string, string> } })?.selector?.matchLabels ?? {}) as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  try {
    const pods = await kubectl.json<{ items: PodLike[] }>(['get', 'pods', '-n', ns, ...(selector ? ['-l', selector] : [])]);
    const events = await kubectl.json<{ items: EventLike[] }>(['get', 'events', '-n', ns]);
    const lines = describeUnreadyPods(pods.items, events.items);
    return lines.length ? ['pods not ready:', ...lines.map((l) => `  ${l}`)] : ['all pods report Ready (the rollout did not complete in time)'];
  } catch (e) {
    return [`(could not list pods: ${(e as Error).message})`];
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
