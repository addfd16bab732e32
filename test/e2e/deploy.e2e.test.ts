/**
 * The deploy command against a real control plane (kube-apiserver, etcd, controller-manager, scheduler; KWOK nodes
 * where pods of an image containing "faulty" start but never become Ready). The real node, if any, is tainted
 * meanwhile: these pods are simulated.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { renderTarget } from '../../charts/app';
import {
  CONFIG_OF_LABEL,
  DEPLOY_ACCESS_POLICY,
  PHASE_ANNOTATION,
  deployerGroup,
  deployerRoleBinding,
  environmentStackName,
  platformConfig,
  WORKLOAD_OUTPUT_FIELDS,
  type ServiceWorkload,
} from '../../config';
import { EXIT } from '../../deploy/errors';
import { startMoto, type Moto } from '../support/moto';
import { runProcess } from '../../deploy/adapters/kubectl';
import { envWithoutAws, kubeconfig, kubectl, kubectlBinary, kubectlJson, lowest, root, runDeploy, scheduleOn, watchReplicas } from './helpers';
import { LOCAL_STARTUP_SECONDS, localConfig } from '../../config/examples/local';
import { startupBudgetSeconds } from '../../charts/web-service';

const NS = 'web';

/**
 * An object of an earlier release that the new one does not have: pruned; or, a content-addressed ConfigMap
 * (CONFIG_OF_LABEL), kept while a ReplicaSet (a rollback restores it too), Job, CronJob or Pod still reads it.
 * A migration's Job (PHASE_ANNOTATION) is never an ApplySet member: it stays until its ttlSecondsAfterFinished.
 */
async function expectPrunedOrStillRead(gone: any): Promise<void> {
  const what = `${gone.kind}/${gone.metadata.name}`;
  if (gone.kind === 'Job' && gone.metadata.annotations?.[PHASE_ANNOTATION] === 'migration') return;
  const found = (await kubectl(['get', gone.kind.toLowerCase(), gone.metadata.name, '-n', NS, '--ignore-not-found', '-o', 'name'])).stdout.trim();
  if (found && gone.kind === 'ConfigMap' && gone.metadata.labels?.[CONFIG_OF_LABEL]) {
    const owners = await kubectlJson(['get', 'replicasets,jobs,cronjobs,pods', '-n', NS]);
    const readers = owners.items.filter((o: any) => JSON.stringify(o.spec).includes(`"${gone.metadata.name}"`));
    expect([what, readers.length]).not.toEqual([what, 0]);
    return;
  }
  expect(`${what}: ${found}`).toBe(`${what}: `);
}
const timings: Record<string, number | string> = {};

// These tests use simulated pods (any image reference works; an image containing "faulty" never becomes Ready).
beforeAll(async () => {
  await scheduleOn('kwok');
});

afterAll(() => {
  process.stderr.write(`\n[e2e] measured: ${JSON.stringify(timings, null, 2)}\n`);
});

async function deploymentImage(): Promise<string> {
  const d = await kubectlJson(['get', 'deployment', 'web', '-n', NS]);
  return d.spec.template.spec.containers.find((c: { name: string }) => c.name === 'web').image;
}

/**
 * prod (ALB outside the user pool region: OIDC): its client secret in Secrets Manager (moto), a complete outputs
 * file, the image, and the deploy arguments / environment that use them.
 */
/**
 * A prod release's inputs. prod releases through a canary, whose analysis reads the pods' own metrics, and these pods
 * are simulated (KWOK): so the Deployment is removed first, and the release is a first release that rolls out plainly
 * (the canary on real pods: canary.e2e.test.ts).
 */
async function prodRelease(moto: Moto) {
  const removed = await kubectl(['delete', 'deployment', 'web', '-n', NS, '--ignore-not-found', '--wait=true', '--timeout=120s']);
  expect(removed.code).toBe(0);
  const env = platformConfig.environments.find((e) => e.name === 'prod')!;
  expect(env.region).not.toBe(platformConfig.identity.region);
  const awsEnv = {
    ...envWithoutAws(),
    AWS_ACCESS_KEY_ID: 'AKIDFAKEFORTESTS0000',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-for-tests',
    PLATFORM_AWS_ENDPOINT: moto.endpoint,
  };
  const value = { clientID: 'prod-client-id', clientSecret: 'Sup3r-s3cret-never-printed' };
  const { SecretsManagerClient, CreateSecretCommand } = await import('@aws-sdk/client-secrets-manager');
  const sm = new SecretsManagerClient({ region: env.region, endpoint: moto.endpoint, credentials: { accessKeyId: 'AKIDFAKEFORTESTS0000', secretAccessKey: 'fake' } });
  const arn = (await sm.send(new CreateSecretCommand({ Name: 'platform/prod/oidc-client', SecretString: JSON.stringify(value) }))).ARN!;
  const outputs: Record<string, string> = Object.fromEntries(WORKLOAD_OUTPUT_FIELDS.map((f) => [f, `fake-${f}`]));
  Object.assign(outputs, {
    environment: 'prod',
    region: env.region,
    namespace: env.namespace,
    clusterName: 'platform-prod',
    userPoolRegion: platformConfig.identity.region,
    userPoolClientSecretArn: arn,
    userPoolId: `${platformConfig.identity.region}_AbCdEf`,
    userPoolDomain: platformConfig.identity.domainPrefix,
    certificateArn: `arn:aws:acm:${env.region}:123456789012:certificate/00000000-0000-0000-0000-000000000000`,
    databasePort: '5432',
  });
  const dir = mkdtempSync(join(tmpdir(), 'e2e-outputs-'));
  const file = join(dir, 'cdk-outputs.json');
  writeFileSync(file, JSON.stringify({ [environmentStackName(platformConfig.project, 'prod')]: outputs }));
  const image = `123456789012.dkr.ecr.${env.region}.amazonaws.com/platform/web@sha256:${'a'.repeat(64)}`;
  return {
    value,
    outputs,
    image,
    env: awsEnv,
    args: (kubeconfigPath: string) => ['--env', 'prod', '--image', image, '--outputs', file, '--kubeconfig', kubeconfigPath],
  };
}

describe('committed manifests on a real API server', () => {
  const targets = readdirSync(join(root, 'manifests')).filter((d) => existsSync(join(root, 'manifests', d, 'namespace.k8s.yaml')));

  test('there is a manifest folder per target', () => {
    expect(targets.sort()).toEqual([...platformConfig.environments.map((e) => e.name), ...platformConfig.portableTargets.map((t) => t.name)].sort());
  });

  test.each(targets)('%s: every object of every workload (service, worker, CronJob) is accepted (server-side dry run) with Pod Security "restricted" enforced', async (target) => {
    const folder = join(root, 'manifests', target);
    const text = readdirSync(folder)
      .filter((f) => f.endsWith('.k8s.yaml'))
      .sort()
      .map((f) => readFileSync(join(folder, f), 'utf8'))
      .join('\n');
    // A namespace of its own per target so the real "web" namespace stays untouched; names are otherwise as committed.
    const ns = `check-${target}`;
    const objects = (loadAll(text) as any[]).filter(Boolean).map((o) => {
      const c = JSON.parse(JSON.stringify(o));
      if (c.kind === 'Namespace') c.metadata.name = ns;
      else c.metadata.namespace = ns;
      return c;
    });
    const namespace = objects.find((o) => o.kind === 'Namespace');
    expect(namespace.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    // The Namespace and the ServiceAccounts for real (the Pod checks below need them); the rest in dry run.
    const serviceAccounts = objects.filter((o) => o.kind === 'ServiceAccount');
    expect(serviceAccounts.map((o) => o.metadata.name).sort()).toEqual(['prune', 'web', 'worker']);
    const created = await kubectl(['apply', '--server-side', '--field-manager=e2e-check', '-f', '-'], [namespace, ...serviceAccounts].map((o) => dump(o)).join('---\n'));
    expect(created.stderr).toBe('');

    const dry = await kubectl(['apply', '--server-side', '--field-manager=e2e-check', '--dry-run=server', '-f', '-'], objects.map((o) => dump(o)).join('---\n'));
    expect(dry.stderr).toBe(''); // no error and no "would violate PodSecurity" warning
    expect(dry.code).toBe(0);
    expect(dry.stdout.trim().split('\n')).toHaveLength(objects.length);

    // Enforcement, not just a warning: a Pod made from each pod template (the Deployments', the CronJob's, web's migration Job's) is admitted…
    const templates = objects.flatMap((o) => (o.kind === 'Deployment' || o.kind === 'Job' ? [o.spec.template] : o.kind === 'CronJob' ? [o.spec.jobTemplate.spec.template] : []));
    expect(templates).toHaveLength(4);
    for (const [i, template] of templates.entries()) {
      const candidate = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `template-check-${i}`, namespace: ns, labels: template.metadata.labels }, spec: template.spec };
      const admitted = await kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(candidate));
      expect(admitted.stderr).toBe('');
    }
    const deployment = objects.find((o) => o.kind === 'Deployment');
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'template-check', namespace: ns, labels: deployment.spec.template.metadata.labels },
      spec: deployment.spec.template.spec,
    };
    // …and the same Pod made privileged is rejected by Pod Security admission.
    const privileged = JSON.parse(JSON.stringify(pod));
    privileged.spec.containers[0].securityContext = { ...privileged.spec.containers[0].securityContext, privileged: true, allowPrivilegeEscalation: true };
    const rejected = await kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(privileged));
    expect(rejected.code).not.toBe(0);
    expect(rejected.stderr).toMatch(/violates PodSecurity "restricted:(latest|v1\.\d+)"/);
    await kubectl(['delete', 'namespace', ns, '--wait=false']);
  });
});

describe('deploy command', () => {
  const generic = (image: string, extra: string[] = []) => ['--config', 'local', '--env', 'generic', '--image', image, '--kubeconfig', kubeconfig(), ...extra];

  test('refuses the committed dev manifests (placeholders): exit 2 and nothing applied', async () => {
    const run = await runDeploy(['--env', 'dev', '--manifests', join(root, 'manifests', 'dev'), '--kubeconfig', kubeconfig()], { env: envWithoutAws() });
    expect(run.code).toBe(EXIT.invalidInput);
    expect(run.stderr).toMatch(/refusing to deploy: the manifests still contain placeholders/);
    expect(run.stderr).toMatch(/manifests\/dev\/web\.k8s\.yaml: .*certificateArn/);
    expect((await kubectl(['get', 'namespace', NS, '--ignore-not-found', '-o', 'name'])).stdout.trim()).toBe('');
  });

  test('refuses an unreachable cluster: exit 3 and nothing applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'e2e-'));
    const k = join(dir, 'kubeconfig');
    writeFileSync(
      k,
      dump({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'x', cluster: { server: 'https://127.0.0.1:9' } }],
        users: [{ name: 'x', user: { token: 'x' } }],
        contexts: [{ name: 'x', context: { cluster: 'x', user: 'x' } }],
        'current-context': 'x',
      }),
    );
    const run = await runDeploy(['--config', 'local', '--env', 'generic', '--image', 'registry.local/web:1.0.0', '--kubeconfig', k], { env: envWithoutAws() });
    expect(run.code).toBe(EXIT.clusterUnreachable);
    expect(run.stderr).toMatch(/cannot reach the cluster at https:\/\/127\.0\.0\.1:9/);
  });

  test('the generic target deploys and rolls out with no AWS dependency (no AWS env, AWS SDK unloadable)', async () => {
    const run = await runDeploy(generic('registry.local/web:1.0.0'), { env: envWithoutAws(), nodeArgs: ['--require', join(__dirname, 'no-aws-sdk.js')] });
    expect(run.code).toBe(EXIT.ok);
    expect(run.result).toMatchObject({ outcome: 'applied', exitCode: 0 });
    expect(run.stdout).toMatch(/rollout: desired \d+ · updated/);
    expect(await deploymentImage()).toBe('registry.local/web:1.0.0');
    expect(readFileSync(join(root, '.deploy', 'generic', 'manifests.yaml'), 'utf8')).toContain('registry.local/web:1.0.0');
    // The chart leaves spec.replicas to the HorizontalPodAutoscaler (a first release starts at 1): the command only
    // reports success once the autoscaler has raised the Deployment to minReplicas and those replicas are available.
    const minReplicas = (localConfig.portableTargets.find((t) => t.name === 'generic')!.workloads.find((w) => w.name === 'web') as ServiceWorkload).minReplicas;
    expect(minReplicas).toBeGreaterThanOrEqual(2);
    expect(run.stdout).toMatch(new RegExp(`done when at least ${minReplicas} replicas \\(HorizontalPodAutoscaler minReplicas\\) are available`));
    const d = await kubectlJson(['get', 'deployment', 'web', '-n', NS]);
    expect(d.spec.replicas).toBeGreaterThanOrEqual(minReplicas);
    expect(d.status.availableReplicas).toBeGreaterThanOrEqual(minReplicas);
    const hpa = await kubectlJson(['get', 'hpa', 'web', '-n', NS]);
    expect(hpa.status.desiredReplicas).toBeGreaterThanOrEqual(minReplicas);
    // No metrics-server here: the autoscaler enforces minReplicas before it looks at any metric.
    const events = await kubectlJson(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=web']);
    expect(events.items.map((e: { message?: string }) => e.message).join('\n')).toMatch(/New size: \d+; reason: Current number of replicas below Spec\.MinReplicas/);
    timings.firstRolloutSeconds = run.result.rolloutSeconds;
  });

  test('a good release rolls out to completion and available replicas never drop below desired', async () => {
    const watcher = await watchReplicas(NS, 'web');
    const run = await runDeploy(generic('registry.local/web:1.0.1'), { env: envWithoutAws() });
    const samples = await watcher.stop();
    expect(run.code).toBe(EXIT.ok);
    expect(await deploymentImage()).toBe('registry.local/web:1.0.1');
    const low = lowest(samples);
    process.stderr.write(`[e2e] good release: ${low.count} samples, min(available-desired)=${low.minAvailableMinusDesired}, min(ready-desired)=${low.minReadyMinusDesired}\n`);
    expect(low.count).toBeGreaterThan(10);
    expect(low.minAvailableMinusDesired).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples.map((s) => s.desired))).toBeGreaterThanOrEqual(2);
    // The chart's topology spread (preferred, by zone) puts the replicas in more than one zone.
    const pods = (await kubectlJson(['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/name=web', '--field-selector=status.phase=Running'])).items as {
      spec: { nodeName: string };
    }[];
    const nodes = (await kubectlJson(['get', 'nodes'])).items as { metadata: { name: string; labels: Record<string, string> } }[];
    const zoneOf = (name: string) => nodes.find((n) => n.metadata.name === name)?.metadata.labels['topology.kubernetes.io/zone'];
    expect(new Set(pods.map((p) => zoneOf(p.spec.nodeName))).size).toBeGreaterThanOrEqual(2);
    timings.goodRolloutSeconds = run.result.rolloutSeconds;
  });

  test('a faulty release is detected, rolled back automatically, exits non-zero; ready replicas never drop below desired', async () => {
    const watcher = await watchReplicas(NS, 'web');
    const run = await runDeploy(generic('registry.local/web:faulty-2'), { env: envWithoutAws() });
    const samples = await watcher.stop();
    expect(run.code).toBe(EXIT.rolledBack);
    expect(run.result).toMatchObject({ outcome: 'rolled-back', exitCode: 1 });
    // Its pods run but never turn Ready: the startup budget (the local configuration's startupSeconds + one readiness
    // period, 25 s) fails the release before the Deployment's progress deadline would.
    expect(run.stdout).toMatch(
      new RegExp(`StartupBudgetExceeded — started but not Ready \\d+s after the container started \\(budget ${startupBudgetSeconds(LOCAL_STARTUP_SECONDS)}s`),
    );
    expect(run.stdout).toMatch(/pod web-[a-z0-9-]+ \(image registry\.local\/web:faulty-2; phase Running/);
    expect(run.stdout).toMatch(/condition Ready=False/);
    expect(run.stdout).toMatch(/rolled back to revision \d+ \(registry\.local\/web:1\.0\.1\)/);
    expect(await deploymentImage()).toBe('registry.local/web:1.0.1');
    const d = await kubectlJson(['get', 'deployment', 'web', '-n', NS]);
    expect(d.status.availableReplicas).toBe(d.spec.replicas);
    expect(d.status.updatedReplicas).toBe(d.spec.replicas);

    const low = lowest(samples);
    process.stderr.write(
      `[e2e] faulty release: apply→detected ${run.result.detectSeconds}s, detected→restored ${run.result.restoreSeconds}s, total ${run.result.totalSeconds}s; ` +
        `${low.count} samples, min(ready-desired)=${low.minReadyMinusDesired}, min(available-desired)=${low.minAvailableMinusDesired}\n`,
    );
    expect(low.minReadyMinusDesired).toBeGreaterThanOrEqual(0);
    expect(low.minAvailableMinusDesired).toBeGreaterThanOrEqual(0);
    timings.faultyDetectSeconds = run.result.detectSeconds;
    timings.faultyRestoreSeconds = run.result.restoreSeconds;
    timings.faultyApplyToRestoredSeconds = Math.round((run.result.detectSeconds + run.result.restoreSeconds) * 10) / 10;
    // Target: under 2 minutes from apply to restored (the startup budget decides the detection).
    expect(run.result.detectSeconds + run.result.restoreSeconds).toBeLessThan(120);
  });

  test('an object removed from the release is pruned by the next deploy', async () => {
    const { files } = renderTarget(localConfig, 'generic', { images: { app: 'registry.local/web:1.0.1' } });
    const extra = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-extra', namespace: NS }, data: { removed: 'next time' } };
    // One file per workload (as npm run render writes them); the extra ConfigMap is web's.
    const folder = (withExtra: boolean) => {
      const dir = mkdtempSync(join(tmpdir(), 'e2e-manifests-'));
      for (const f of files) writeFileSync(join(dir, f.file), f.workload === 'web' && withExtra ? `${f.yaml}---\n${dump(extra)}` : f.yaml);
      return dir;
    };
    const withExtra = folder(true);
    const first = await runDeploy(['--config', 'local', '--env', 'generic', '--manifests', withExtra, '--kubeconfig', kubeconfig()], { env: envWithoutAws() });
    expect(first.code).toBe(EXIT.ok);
    expect((await kubectl(['get', 'configmap', 'web-extra', '-n', NS, '-o', 'name'])).stdout.trim()).toBe('configmap/web-extra');

    const without = folder(false);
    const second = await runDeploy(['--config', 'local', '--env', 'generic', '--manifests', without, '--kubeconfig', kubeconfig()], { env: envWithoutAws() });
    expect(second.code).toBe(EXIT.ok);
    expect(second.stdout).toMatch(/configmap\/web-extra pruned/);
    expect((await kubectl(['get', 'configmap', 'web-extra', '-n', NS, '--ignore-not-found', '-o', 'name'])).stdout.trim()).toBe('');
    // Everything else is still there, the Namespace first of all.
    expect((await kubectl(['get', 'namespace', NS, '-o', 'name'])).stdout.trim()).toBe(`namespace/${NS}`);
    expect((await kubectl(['get', 'service,deployment', 'web', '-n', NS, '-o', 'name'])).stdout.trim().split('\n')).toHaveLength(2);
    // web's content-addressed configuration (outside the ApplySet): the one its pods read is there.
    expect((await kubectl(['get', 'configmap', '-l', 'platform.local/config-of=web', '-n', NS, '-o', 'name'])).stdout).toMatch(/configmap\/web-config-[0-9a-f]{10}/);
  });

  test('--dry-run and --diff change nothing', async () => {
    const before = (await kubectlJson(['get', 'deployment', 'web', '-n', NS])).metadata.resourceVersion;
    const dry = await runDeploy(generic('registry.local/web:2.0.0', ['--dry-run']), { env: envWithoutAws() });
    expect(dry.code).toBe(EXIT.ok);
    expect(dry.stdout).toMatch(/server dry run/);
    const diff = await runDeploy(generic('registry.local/web:2.0.0', ['--diff']), { env: envWithoutAws() });
    expect(diff.code).toBe(EXIT.ok);
    expect(diff.stdout).toMatch(/\+\s+image: registry\.local\/web:2\.0\.0/);
    expect((await kubectlJson(['get', 'deployment', 'web', '-n', NS])).metadata.resourceVersion).toBe(before);
  });

  test('an aws environment (dev) rendered with complete outputs deploys to the local cluster via --kubeconfig', async () => {
    const env = platformConfig.environments.find((e) => e.name === 'dev')!;
    const outputs: Record<string, string> = Object.fromEntries(WORKLOAD_OUTPUT_FIELDS.map((f) => [f, `fake-${f}`]));
    Object.assign(outputs, {
      environment: 'dev',
      region: env.region,
      namespace: env.namespace,
      clusterName: 'platform-dev',
      userPoolRegion: platformConfig.identity.region,
      certificateArn: `arn:aws:acm:${env.region}:123456789012:certificate/00000000-0000-0000-0000-000000000000`,
      userPoolArn: `arn:aws:cognito-idp:${platformConfig.identity.region}:123456789012:userpool/${platformConfig.identity.region}_AbCdEf`,
      userPoolId: `${platformConfig.identity.region}_AbCdEf`,
      userPoolDomain: platformConfig.identity.domainPrefix,
      userPoolClientId: 'abcdefghijklmnopqrstuvwxyz',
      userPoolClientSecretArn: `arn:aws:secretsmanager:${env.region}:123456789012:secret:platform/dev/oidc-AbCdEf`,
      podRoleArn: 'arn:aws:iam::123456789012:role/platform-dev-web',
      bucketName: 'platform-dev-uploads-123456789012',
      databaseEndpoint: 'platform-dev.cluster-abc.eu-west-1.rds.amazonaws.com',
      databasePort: '5432',
      account: '123456789012',
      imageRepositoryUri: `123456789012.dkr.ecr.${env.region}.amazonaws.com/platform/web`,
      apiUrl: 'https://api.dev.example.com/',
    });
    const dir = mkdtempSync(join(tmpdir(), 'e2e-outputs-'));
    const file = join(dir, 'cdk-outputs.json');
    writeFileSync(file, JSON.stringify({ [environmentStackName(platformConfig.project, 'dev')]: outputs }));
    const image = `${outputs.imageRepositoryUri}:1.0.0`;
    const run = await runDeploy(['--env', 'dev', '--image', image, '--outputs', file, '--kubeconfig', kubeconfig()], { env: envWithoutAws() });
    expect(run.code).toBe(EXIT.ok);
    const ingress = await kubectlJson(['get', 'ingress', 'web', '-n', NS]);
    expect(ingress.spec.ingressClassName).toBe('alb');
    expect(ingress.metadata.annotations['alb.ingress.kubernetes.io/auth-type']).toBe('cognito');
    expect(ingress.metadata.annotations['alb.ingress.kubernetes.io/certificate-arn']).toBe(outputs.certificateArn);
    expect(await deploymentImage()).toBe(image);
    // The generic release's objects that dev does not have were pruned (same ApplySet: one release per namespace).
    const generic = renderTarget(localConfig, 'generic', { images: { app: 'registry.local/web:1.0.1' } }).objects as any[];
    const dev = renderTarget(platformConfig, 'dev', { images: { app: image }, outputs: outputs as any }).objects as any[];
    const key = (o: any) => `${o.kind}/${o.metadata.name}`;
    for (const gone of generic.filter((g) => !dev.some((d) => key(d) === key(g)))) await expectPrunedOrStillRead(gone);
  });

  test('prod (ALB outside the user pool region: OIDC) gets its client Secret from Secrets Manager (moto), never printed', async () => {
    const moto: Moto = await startMoto();
    try {
      const prod = await prodRelease(moto);
      const run = await runDeploy(prod.args(kubeconfig()), { env: prod.env });
      expect(run.code).toBe(EXIT.ok);
      expect(run.stdout).toMatch(/canary: no deployment\/web runs yet \(first release\)/);
      expect(run.stdout).toMatch(/OIDC client Secret alb-oidc-client: read from Secrets Manager \(value not shown\)/);
      const secret = await kubectlJson(['get', 'secret', 'alb-oidc-client', '-n', NS]);
      expect(Buffer.from(secret.data.clientID, 'base64').toString()).toBe(prod.value.clientID);
      expect(Buffer.from(secret.data.clientSecret, 'base64').toString()).toBe(prod.value.clientSecret);
      const ingress = await kubectlJson(['get', 'ingress', 'web', '-n', NS]);
      expect(ingress.metadata.annotations['alb.ingress.kubernetes.io/auth-type']).toBe('oidc');
      for (const text of [run.stdout, run.stderr, readFileSync(join(root, '.deploy', 'prod', 'manifests.yaml'), 'utf8')]) {
        expect(text).not.toContain(prod.value.clientSecret);
      }
    } finally {
      await moto.stop();
    }
  });
});

describe('the CI deploy role as on EKS: an access entry with AmazonEKSAdminPolicy in the app namespace (a webhook authorizer, not RBAC)', () => {
  // EKS authenticates the CI role through a webhook and grants its access policy (ClusterRole admin's permissions,
  // in the app namespace) through a webhook authorizer; the infrastructure creates the Namespace. Reproduced by the
  // local cluster's access webhook (cluster/access/, managed with cluster/access-entry.sh): nothing binds the
  // identity by RBAC until the infrastructure's fix (config/deploy-access.ts) is applied below.
  const INFRA_MANAGER = 'e2e-infrastructure';
  const prodEnv = platformConfig.environments.find((e) => e.name === 'prod')!;
  const USER = `arn:aws:sts::123456789012:assumed-role/${platformConfig.project}-prod-github-deploy/e2e`;
  let scoped = '';

  const namespaceState = async () => {
    const n = await kubectlJson(['get', 'namespace', NS, '--show-managed-fields']);
    return { resourceVersion: n.metadata.resourceVersion, managers: (n.metadata.managedFields ?? []).map((f: { manager: string }) => f.manager).sort(), labels: n.metadata.labels };
  };
  const accessEntry = async (...args: string[]) => {
    const r = await runProcess('bash', [join(root, 'cluster', 'access-entry.sh'), ...args], { env: process.env });
    expect(`${r.code} ${r.stderr}`).toBe('0 ');
    return r.stdout.trim();
  };
  const can = async (...args: string[]) => (await runProcess(kubectlBinary(), [`--kubeconfig=${scoped}`, 'auth', 'can-i', ...args], { env: process.env })).stdout.trim();
  const whoami = async () =>
    JSON.parse((await runProcess(kubectlBinary(), [`--kubeconfig=${scoped}`, 'auth', 'whoami', '-o', 'json'], { env: process.env })).stdout).status.userInfo;
  /** kube-apiserver keeps an authenticated token's groups for a few seconds (EKS, too, applies entry changes with a delay). */
  const waitForGroups = async (has: boolean) => {
    const deadline = Date.now() + 60_000;
    while (((await whoami()).groups ?? []).includes(deployerGroup(platformConfig.project)) !== has) {
      if (Date.now() > deadline) throw new Error(`the identity's groups did not ${has ? 'gain' : 'lose'} ${deployerGroup(platformConfig.project)} within 60 s`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };

  beforeAll(async () => {
    expect(prodEnv.namespace).toBe(NS);
    // Start from what the infrastructure leaves: the Namespace (Pod Security restricted), created by cluster-admin.
    await kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=180s']);
    const namespace = (renderTarget(localConfig, 'generic', { images: { app: 'registry.local/web:1.0.0' } }).objects as any[]).find((o) => o.kind === 'Namespace');
    expect(namespace.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const applied = await kubectl(['apply', '--server-side', `--field-manager=${INFRA_MANAGER}`, '-f', '-'], dump(namespace));
    expect(applied.stderr).toBe('');
    // The access entry as the infrastructure had it before the fix: the namespace-scoped access policy only.
    await accessEntry('put', '--username', USER, '--policy', DEPLOY_ACCESS_POLICY, '--namespace', NS);
    scoped = await accessEntry('kubeconfig', '--username', USER, '--out', join(mkdtempSync(join(tmpdir(), 'e2e-scoped-')), 'kubeconfig'));
  });

  afterAll(async () => {
    await accessEntry('delete', '--username', USER);
  });

  test('the access policy grants admin in the namespace only, through the webhook: no RBAC binding names the identity', async () => {
    expect(await whoami()).toMatchObject({ username: USER });
    expect((await whoami()).groups ?? []).not.toContain(deployerGroup(platformConfig.project));
    expect(await can('get', `namespaces/${NS}`, '-n', NS)).toBe('yes');
    expect(await can('patch', `namespaces/${NS}`, '-n', NS)).toBe('no');
    expect(await can('bind', 'roles', '-n', NS)).toBe('no');
    expect(await can('escalate', 'roles', '-n', NS)).toBe('no');
    expect(await can('create', 'roles', '-n', NS)).toBe('yes');
    expect(await can('create', 'namespaces')).toBe('no');
    expect(await can('list', 'namespaces')).toBe('no');
    expect(await can('create', 'deployments', '-n', NS)).toBe('yes');
    expect(await can('create', 'deployments', '-n', 'default')).toBe('no');
    // The canary analysis reads pod metrics through the API server's pod proxy, and the deploy lock is a Lease.
    expect(await can('get', 'pods/proxy', '-n', NS)).toBe('yes');
    expect(await can('get', 'pods/proxy', '-n', 'default')).toBe('no');
    for (const verb of ['get', 'create', 'update', 'delete']) expect(`${verb} ${await can(verb, 'leases.coordination.k8s.io', '-n', NS)}`).toBe(`${verb} yes`);
    const bindings = await kubectlJson(['get', 'rolebindings,clusterrolebindings', '-A']);
    const subjects = bindings.items.flatMap((b: { subjects?: { name: string }[] }) => b.subjects ?? []).map((x: { name: string }) => x.name);
    expect(subjects).not.toContain(USER);
  });

  test('without the fix (access policy only): the prod release is refused, RBAC escalation check counts no webhook permission; nothing applied', async () => {
    const moto: Moto = await startMoto();
    try {
      const prod = await prodRelease(moto);
      const before = await namespaceState();
      const run = await runDeploy(prod.args(scoped), { env: prod.env });
      expect(run.code).toBe(EXIT.invalidInput);
      expect(run.stderr).toMatch(/the API server rejects the release \(server-side dry run; nothing applied\)/);
      // Kubernetes: "You can only create/update a role if … you already have all the permissions contained in the
      // role" — held through RBAC (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping).
      expect(run.stderr).toMatch(/roles\.rbac\.authorization\.k8s\.io "alb-oidc-client-reader" is forbidden: .*attempting to grant RBAC permissions not currently held/);
      expect((await kubectl(['get', 'role,rolebinding,secret,deployment', '-n', NS, '-o', 'name'])).stdout.trim()).toBe('');
      expect(await namespaceState()).toEqual(before);
    } finally {
      await moto.stop();
    }
  });

  test('the fix (as the infrastructure creates it): the access entry maps the role to the deployers group, bound to admin by RBAC', async () => {
    await accessEntry('put', '--username', USER, '--group', deployerGroup(platformConfig.project), '--policy', DEPLOY_ACCESS_POLICY, '--namespace', NS);
    const binding = await kubectl(['apply', '--server-side', `--field-manager=${INFRA_MANAGER}`, '-f', '-'], dump(deployerRoleBinding(platformConfig.project, NS)));
    expect(binding.stderr).toBe('');
    await waitForGroups(true);
    expect((await whoami()).groups).toContain(deployerGroup(platformConfig.project));
    // Still namespace-scoped: the same answers as with the access policy alone.
    expect(await can('patch', `namespaces/${NS}`, '-n', NS)).toBe('no');
    expect(await can('bind', 'roles', '-n', NS)).toBe('no');
    expect(await can('list', 'namespaces')).toBe('no');
    expect(await can('create', 'deployments', '-n', 'default')).toBe('no');
    expect(await can('create', 'deployments', '-n', NS)).toBe('yes');
  });

  test('generic: deploys everything inside the namespace, leaves the Namespace untouched', async () => {
    const before = await namespaceState();
    const run = await runDeploy(['--config', 'local', '--env', 'generic', '--image', 'registry.local/web:1.0.0', '--kubeconfig', scoped], { env: envWithoutAws() });
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/warning: these credentials may not change Namespace web \(namespace-scoped access\): leaving it as it is \(its labels match the release\)/);
    expect(run.stdout).not.toMatch(/namespace\/web serverside-applied/);
    expect(await namespaceState()).toEqual(before);
    expect(before.managers).toEqual([INFRA_MANAGER]);
    const objects = (renderTarget(localConfig, 'generic', { images: { app: 'registry.local/web:1.0.0' } }).objects as any[]).filter((o) => o.kind !== 'Namespace');
    for (const o of objects) {
      const group = (o.apiVersion as string).includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
      const r = await kubectl(['get', `${o.kind}${group}`, o.metadata.name, '-n', NS, '-o', 'name']);
      expect(`${o.kind}/${o.metadata.name}: ${r.code}`).toBe(`${o.kind}/${o.metadata.name}: 0`);
    }
    const d = await kubectlJson(['get', 'deployment', 'web', '-n', NS]);
    expect(d.status.availableReplicas).toBeGreaterThanOrEqual(2);
  });

  test('generic: ApplySet pruning works with these credentials, per workload (a release of the worker never prunes web)', async () => {
    const { files } = renderTarget(localConfig, 'generic', { images: { app: 'registry.local/web:1.0.0' } });
    const extra = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-extra', namespace: NS }, data: { removed: 'next time' } };
    // Pre-rendered as npm run render writes them: one file per workload, the namespace-level objects in their own.
    const folder = (web: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'e2e-manifests-'));
      for (const f of files) writeFileSync(join(dir, f.file), f.workload === 'web' ? web : f.yaml);
      return dir;
    };
    const web = files.find((f) => f.workload === 'web')!.yaml;
    const first = await runDeploy(['--config', 'local', '--env', 'generic', '--manifests', folder(`${web}---\n${dump(extra)}`), '--kubeconfig', scoped], { env: envWithoutAws() });
    expect(first.code).toBe(EXIT.ok);
    expect((await kubectl(['get', 'configmap', 'web-extra', '-n', NS, '-o', 'name'])).stdout.trim()).toBe('configmap/web-extra');
    // A release of the worker alone from the folder without the extra ConfigMap: web's set is not applied, nothing of web pruned.
    const worker = await runDeploy(['--config', 'local', '--env', 'generic', '--manifests', folder(web), '--workload', 'worker', '--kubeconfig', scoped], { env: envWithoutAws() });
    expect(worker.code).toBe(EXIT.ok);
    expect(Object.keys(worker.result.workloads)).toEqual(['worker']);
    expect((await kubectl(['get', 'configmap', 'web-extra', '-n', NS, '-o', 'name'])).stdout.trim()).toBe('configmap/web-extra');
    const second = await runDeploy(['--config', 'local', '--env', 'generic', '--manifests', folder(web), '--kubeconfig', scoped], { env: envWithoutAws() });
    expect(second.code).toBe(EXIT.ok);
    expect(second.stdout).toMatch(/configmap\/web-extra pruned/);
    expect((await kubectl(['get', 'configmap', 'web-extra', '-n', NS, '--ignore-not-found', '-o', 'name'])).stdout.trim()).toBe('');
    expect((await kubectl(['get', 'namespace', NS, '-o', 'name'])).stdout.trim()).toBe(`namespace/${NS}`);
    // One ApplySet parent per workload.
    const parents = (await kubectl(['get', 'secrets', '-n', NS, '-o', 'name'])).stdout;
    for (const set of ['platform-release-web', 'platform-release-worker', 'platform-release-prune']) expect(parents).toContain(`secret/${set}`);
  });

  test('prod: the Role/RoleBinding for the ALB controller and the OIDC client Secret are applied; the generic leftovers are pruned', async () => {
    const moto: Moto = await startMoto();
    try {
      const prod = await prodRelease(moto);
      const before = await namespaceState();
      const run = await runDeploy(prod.args(scoped), { env: prod.env });
      expect(run.code).toBe(EXIT.ok);
      // The prod Namespace wants the ALB readiness-gate label the generic one lacks: named, but not applied.
      expect(run.stdout).toMatch(
        /warning: these credentials may not change Namespace web \(namespace-scoped access\): leaving it as it is; it lacks .+ — set them where the Namespace is created/,
      );
      expect(await namespaceState()).toEqual(before);
      // First prod release in this namespace: its RoleBinding binds a Role the release creates (admin has no `bind`).
      expect(run.stdout).toMatch(/RoleBinding alb-oidc-client-reader: not in the dry run \(binds a Role this release creates first\)/);
      const rendered = renderTarget(platformConfig, 'prod', { images: { app: prod.image }, outputs: prod.outputs as any }).objects as any[];
      const rbac = rendered.filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding');
      expect(rbac.length).toBeGreaterThanOrEqual(2);
      for (const o of rbac) {
        const r = await kubectl(['get', `${o.kind.toLowerCase()}.rbac.authorization.k8s.io`, o.metadata.name, '-n', NS, '-o', 'name']);
        expect(r.stdout.trim()).toBe(`${o.kind.toLowerCase()}.rbac.authorization.k8s.io/${o.metadata.name}`);
      }
      const secret = await kubectlJson(['get', 'secret', 'alb-oidc-client', '-n', NS]);
      expect(Buffer.from(secret.data.clientSecret, 'base64').toString()).toBe(prod.value.clientSecret);
      const generic = renderTarget(localConfig, 'generic', { images: { app: 'registry.local/web:1.0.0' } }).objects as any[];
      const key = (o: any) => `${o.kind}/${o.metadata.name}`;
      for (const gone of generic.filter((g) => g.kind !== 'Namespace' && !rendered.some((d) => key(d) === key(g)))) await expectPrunedOrStillRead(gone);
    } finally {
      await moto.stop();
    }
  });
});
