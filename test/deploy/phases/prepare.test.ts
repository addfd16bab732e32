import { existsSync } from 'node:fs';
import { dump } from 'js-yaml';
import { DeployError, EXIT } from '../../../deploy/errors';
import { RELEASE_LABEL } from '../../../deploy/manifests';
import { prepare, resolveTarget } from '../../../deploy/phases/prepare';
import {
  config,
  fakeOutputs,
  fakeRender,
  namespaceObjects,
  options,
  releaseObjects,
  renderWebAs,
  webObjects,
  workerObjects,
  writeManifestDir,
  writeOutputsFile,
} from '../fixtures';

const deps = { config, render: fakeRender };
/** Production takes images by digest only. */
const PROD_IMAGE = `registry.local/web@sha256:${'c'.repeat(64)}`;

function refused(fn: () => unknown, exitCode: number = EXIT.invalidInput): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DeployError);
    expect((e as DeployError).exitCode).toBe(exitCode);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('input refusal (nothing reaches a cluster)', () => {
  test('resolves environments and portable targets', () => {
    expect(resolveTarget(config, 'dev')).toMatchObject({ kind: 'aws', namespace: 'web' });
    expect(resolveTarget(config, 'generic')).toMatchObject({ kind: 'portable', namespace: 'web' });
  });

  test('fails when the environment is unknown, listing the allowed names', () => {
    const message = refused(() => prepare(options({ env: 'qa', image: 'registry.local/web:1.0.0' }), deps));
    expect(message).toBe('unknown environment "qa"; allowed: "dev" (aws), "staging" (aws), "prod" (aws), "generic" (portable)');
  });

  test('fails when the image is malformed', () => {
    expect(refused(() => prepare(options({ image: 'registry.local/web' }), deps))).toMatch(/^--image: image reference "registry.local\/web" has neither tag nor digest; allowed: /);
    expect(refused(() => prepare(options({ image: 'Registry Local/web:1' }), deps))).toMatch(/^--image: .*is malformed/);
    // The deploy command applies the charts' stricter rules too (one grammar, config/image.ts).
    expect(refused(() => prepare(options({ image: 'registry.local/web:main' }), deps))).toMatch(/mutable tag "main"/);
    expect(refused(() => prepare(options({ image: 'web:1.0.0' }), deps))).toMatch(/has no registry/);
  });

  test('fails when an aws environment has no outputs', () => {
    expect(refused(() => prepare(options({ env: 'dev', image: 'registry.local/web:1.0.0' }), deps))).toMatch(/environment "dev" needs --outputs <cdk-outputs.json>/);
  });

  test('fails when the outputs lack fields, naming them and the stack', () => {
    const { certificateArn: _c, userPoolClientId: _u, ...partial } = fakeOutputs('dev');
    const file = writeOutputsFile('dev', partial);
    expect(refused(() => prepare(options({ env: 'dev', image: 'registry.local/web:1.0.0', outputsFile: file }), deps))).toMatch(
      /stack "platform-dev" lack certificateArn, userPoolClientId/,
    );
  });

  test('fails when the outputs file has no stack of the environment', () => {
    const file = writeOutputsFile('dev', fakeOutputs('dev'), 'platform-staging');
    expect(refused(() => prepare(options({ env: 'dev', image: 'registry.local/web:1.0.0', outputsFile: file }), deps))).toMatch(
      /no stack "platform-dev" \(have: platform-staging\)/,
    );
  });

  test('fails when the outputs are of another region (wrong region)', () => {
    const file = writeOutputsFile('dev', fakeOutputs('dev', { region: 'eu-central-1' }));
    expect(refused(() => prepare(options({ env: 'dev', image: 'registry.local/web:1.0.0', outputsFile: file }), deps))).toMatch(
      /region is "eu-central-1" but environment "dev" is configured in "eu-west-1" \(wrong region\)/,
    );
  });

  test('fails when the outputs name another user pool region than the configured identity region', () => {
    const file = writeOutputsFile('dev', fakeOutputs('dev', { userPoolRegion: 'us-east-1' }));
    expect(refused(() => prepare(options({ env: 'dev', image: 'registry.local/web:1.0.0', outputsFile: file }), deps))).toMatch(
      /userPoolRegion is "us-east-1", expected "eu-west-1"/,
    );
  });

  test('fails when the outputs still hold placeholders', () => {
    const file = writeOutputsFile('dev', fakeOutputs('dev', { bucketName: '<placeholder:bucketName>' }));
    expect(refused(() => prepare(options({ env: 'dev', image: 'registry.local/web:1.0.0', outputsFile: file }), deps))).toMatch(/placeholders for bucketName/);
  });

  test('fails when a portable target is given outputs', () => {
    const file = writeOutputsFile('dev', fakeOutputs('dev'));
    expect(refused(() => prepare(options({ image: 'registry.local/web:1.0.0', outputsFile: file }), deps))).toMatch(/portable target and takes no cloud outputs/);
  });

  test('fails when manifests carry placeholders, naming the fields and the files', () => {
    const objects = releaseObjects('registry.local/web:1.0.0', { annotations: { a: '<placeholder:certificateArn>', b: '<placeholder:userPoolArn> <placeholder:certificateArn>' } });
    const dir = writeManifestDir({ 'a.yaml': objects.map((o) => dump(o)).join('---\n'), 'b.yaml': 'x: "<placeholder:bucketName>"\n', 'c.yaml': dump(objects[0]) });
    const message = refused(() => prepare(options({ env: 'generic', manifestsDir: dir }), deps));
    expect(message).toMatch(/^refusing to deploy: the manifests still contain placeholders/);
    expect(message).toContain(`${dir}/a.yaml: certificateArn, userPoolArn`);
    expect(message).toContain(`${dir}/b.yaml: bucketName`);
    expect(message).not.toContain('c.yaml');
  });

  test('fails when the render leaves placeholders', () => {
    const render = renderWebAs((image) => webObjects(image, { annotations: { x: '<placeholder:podRoleArn>' } }));
    expect(refused(() => prepare(options({ image: 'registry.local/web:1.0.0' }), { config, render }))).toMatch(/<rendered generic>\/web.k8s.yaml: podRoleArn/);
  });

  const committedDev = 'manifests/dev';
  (existsSync(committedDev) ? test : test.skip)('fails when the committed (offline) dev manifests are deployed as-is', () => {
    const message = refused(() => prepare(options({ env: 'dev', manifestsDir: committedDev, kubeconfig: '/dev/null' }), deps));
    expect(message).toMatch(/placeholders/);
  });

  test('fails when the render rejects the input (e.g. unknown target or image)', () => {
    const render = () => {
      throw new Error('image "x" is not pinned');
    };
    expect(refused(() => prepare(options({ image: 'registry.local/web:1.0.0' }), { config, render }))).toBe('cannot render "generic": image "x" is not pinned');
  });

  test('fails when pre-rendered manifests run a mutable image', () => {
    const dir = writeManifestDir({
      'all.yaml': releaseObjects('registry.local/web:latest')
        .map((o) => dump(o))
        .join('---\n'),
    });
    expect(refused(() => prepare(options({ manifestsDir: dir }), deps))).toMatch(/Deployment web: .*mutable tag "latest"/);
  });

  test('fails when the manifests have stray namespaces', () => {
    const objects = releaseObjects('registry.local/web:1.0.0');
    const dir = writeManifestDir({
      'x.yaml': [objects[0], { ...(objects[1] as object), metadata: { name: 'web', namespace: 'other' } }, objects[2]].map((o) => dump(o)).join('---\n'),
    });
    expect(refused(() => prepare(options({ manifestsDir: dir }), deps))).toContain('ConfigMap/web -n other is not in the workload\'s namespace "web"');
  });

  test('--manifests: a worker-only folder is a release of the worker (no Deployment web needed); each file is one workload, named by its Deployment or CronJob', () => {
    const yaml = (objects: object[]) => objects.map((o) => dump(o)).join('---\n');
    const dir = writeManifestDir({ 'namespace.k8s.yaml': yaml(namespaceObjects()), 'worker.k8s.yaml': yaml(workerObjects('registry.local/web:1.0.1')) });
    const p = prepare(options({ manifestsDir: dir }), deps);
    expect(p.workloads.map((w) => [w.name, w.objects.map((o) => `${o.kind}/${o.metadata.name}`)])).toEqual([['worker', ['ConfigMap/worker', 'Deployment/worker']]]);
    expect(p.namespaceObjects?.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['NetworkPolicy/default-deny']);
    // Without a namespace-level file, that set is left as it is (not pruned to nothing).
    expect(prepare(options({ manifestsDir: writeManifestDir({ 'w.yaml': yaml(workerObjects('registry.local/web:1.0.1')) }) }), deps).namespaceObjects).toBeUndefined();
    const both = writeManifestDir({ 'all.yaml': yaml([...webObjects('registry.local/web:1.0.1'), ...workerObjects('registry.local/web:1.0.1')]) });
    expect(refused(() => prepare(options({ manifestsDir: both }), deps))).toContain(`${both}/all.yaml holds Deployment web, Deployment worker: one workload per file`);
    const stranger = writeManifestDir({ 'api.yaml': yaml([{ ...(workerObjects('registry.local/web:1.0.1')[1] as object), metadata: { name: 'api', namespace: 'web' } }]) });
    expect(refused(() => prepare(options({ manifestsDir: stranger }), deps))).toContain(
      `${stranger}/api.yaml: Deployment api is no workload of "generic"; allowed: "web", "worker", "prune"`,
    );
    expect(refused(() => prepare(options({ manifestsDir: dir, workloads: ['web'] }), deps))).toContain('--workload web: no file of the folder holds it');
  });

  test('which workloads: those running the given images, or the --workload subset; unknown or missing names refused naming the allowed ones', () => {
    const image = 'registry.local/web:1.0.1';
    expect(prepare(options({ images: { app: image } }), deps).workloads.map((w) => w.name)).toEqual(['web', 'worker', 'prune']);
    expect(prepare(options({ images: { app: image }, workloads: ['prune', 'worker'] }), deps).workloads.map((w) => w.name)).toEqual(['worker', 'prune']);
    expect(refused(() => prepare(options({ images: { api: image } }), deps))).toBe('--image api=…: the configuration declares no image "api"; allowed: "app"');
    expect(refused(() => prepare(options({ image, workloads: ['cron'] }), deps))).toBe('--workload cron: "generic" declares no workload "cron"; allowed: "web", "worker", "prune"');
    const twoImages = { ...config, images: [...config.images, { ...config.images[0], name: 'jobs', repositoryName: 'platform/jobs' }] };
    const jobs = {
      ...twoImages,
      portableTargets: twoImages.portableTargets.map((t) => ({ ...t, workloads: t.workloads.map((w) => (w.name === 'prune' ? { ...w, image: 'jobs' } : w)) })),
    };
    expect(refused(() => prepare(options({ images: { app: image }, workloads: ['prune'] }), { config: jobs, render: fakeRender }))).toBe(
      '--workload prune: it runs image "jobs", which was not given: add --image jobs=<ref> (a release changes a workload\'s image)\n--image app=…: no workload named by --workload (prune) runs it',
    );
    expect(refused(() => prepare(options({ image }), { config: jobs, render: fakeRender }))).toBe(
      `--image ${image}: "generic" runs 2 images ("app", "jobs"); name each: --image app=<ref> --image jobs=<ref>`,
    );
  });

  test('fails when an OIDC Ingress names no client Secret (the controller reads only auth-idp-oidc.secretName)', () => {
    const objects = releaseObjects(PROD_IMAGE, { ingressAnnotations: { 'alb.ingress.kubernetes.io/auth-type': 'oidc' } });
    const dir = writeManifestDir({ 'x.yaml': objects.map((o) => dump(o)).join('---\n') });
    expect(refused(() => prepare(options({ env: 'prod', manifestsDir: dir, kubeconfig: '/dev/null' }), deps))).toMatch(
      /Ingress web: auth-type is oidc but alb.ingress.kubernetes.io\/auth-idp-oidc is null, with no secretName/,
    );
  });

  test('fails when the Ingress uses OIDC and no outputs say where its client secret is', () => {
    const objects = releaseObjects(PROD_IMAGE, {
      ingressAnnotations: {
        'alb.ingress.kubernetes.io/auth-type': 'oidc',
        'alb.ingress.kubernetes.io/auth-idp-oidc': JSON.stringify({ issuer: 'https://x', secretName: 'web-oidc-client' }),
      },
    });
    const dir = writeManifestDir({ 'x.yaml': objects.map((o) => dump(o)).join('---\n') });
    expect(refused(() => prepare(options({ env: 'prod', manifestsDir: dir, kubeconfig: '/dev/null' }), deps))).toMatch(/needs Secret web-oidc-client from Secrets Manager/);
  });

  test('prepares a clean release: Namespace split off, objects namespaced and labelled, split per workload', () => {
    const p = prepare(options({ image: 'registry.local/web:1.0.0' }), deps);
    expect(p.release.namespaceObject?.metadata.name).toBe('web');
    expect(p.namespaceObjects?.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['NetworkPolicy/web/default-deny']);
    expect(p.workloads.map((w) => [w.name, w.owner.kind, w.objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)])).toEqual([
      ['web', 'Deployment', ['ConfigMap/web/web', 'Deployment/web/web']],
      ['worker', 'Deployment', ['ConfigMap/web/worker', 'Deployment/web/worker']],
      ['prune', 'CronJob', ['CronJob/web/prune']],
    ]);
    expect(p.release.objects.every((o) => o.metadata.labels?.[RELEASE_LABEL] === 'generic')).toBe(true);
    expect(p.oidcSecrets).toEqual([]);
  });

  /** web behind an OIDC-authenticated Ingress whose client Secret is `web-oidc-client`. */
  const renderOidcWeb = () =>
    renderWebAs((image) =>
      webObjects(image, {
        ingressAnnotations: {
          'alb.ingress.kubernetes.io/auth-type': 'oidc',
          'alb.ingress.kubernetes.io/auth-idp-oidc': JSON.stringify({ issuer: 'https://x', secretName: 'web-oidc-client' }),
        },
      }),
    );

  test('an oidc Ingress in an aws environment with outputs asks for its Secret by the name in auth-idp-oidc', () => {
    const file = writeOutputsFile('prod', fakeOutputs('prod'));
    const render = renderOidcWeb();
    expect(prepare(options({ env: 'prod', image: PROD_IMAGE, outputsFile: file }), { config, render }).oidcSecrets).toEqual(['web-oidc-client']);
  });

  test("a release of the worker alone still names the Secret web's OIDC Ingress needs: it is namespace-level, applied (never pruned) with any release", () => {
    const file = writeOutputsFile('prod', fakeOutputs('prod'));
    const render = renderOidcWeb();
    const worker = prepare(options({ env: 'prod', image: PROD_IMAGE, outputsFile: file, workloads: ['worker'] }), { config, render });
    expect(worker.workloads.map((w) => w.name)).toEqual(['worker']);
    expect(worker.oidcSecrets).toEqual(['web-oidc-client']);
  });

  test('production refuses an image by tag, from --image or from --manifests; elsewhere a tag outside ECR only warns', () => {
    const file = writeOutputsFile('prod', fakeOutputs('prod'));
    expect(refused(() => prepare(options({ env: 'prod', image: 'registry.local/web:1.0.0', outputsFile: file }), deps))).toMatch(
      /^Deployment web: image reference "registry.local\/web:1.0.0" is pinned by tag; environment "prod" is production and accepts only images by digest/,
    );
    const dir = writeManifestDir({
      'x.yaml': releaseObjects('registry.local/web:1.0.0')
        .map((o) => dump(o))
        .join('---\n'),
    });
    expect(refused(() => prepare(options({ env: 'prod', manifestsDir: dir, kubeconfig: '/dev/null' }), deps))).toMatch(/environment "prod" is production/);
    expect(prepare(options({ image: 'registry.local/web:1.0.0' }), deps).imageWarnings).toEqual([
      'image registry.local/web:1.0.0 is referenced by tag "1.0.0" outside ECR: such a tag can be moved to other content; prefer registry.local/web@sha256:<digest>',
    ]);
    expect(prepare(options({ image: PROD_IMAGE }), deps).imageWarnings).toEqual([]);
  });
});

describe('the image registry is the one the environment pulls from (outputs imageRepositoryUri)', () => {
  const digest = `@sha256:${'d'.repeat(64)}`;
  const shared = '111122223333.dkr.ecr.eu-central-1.amazonaws.com';
  const outputsFile = () => writeOutputsFile('prod', fakeOutputs('prod', { imageRepositoryUri: `${shared}/platform/web` }));

  test("multi-account: the image of the environment's own account instead of the shared registry is refused, saying what to set", () => {
    const image = `444455556666.dkr.ecr.eu-central-1.amazonaws.com/platform/web${digest}`;
    const message = refused(() => prepare(options({ env: 'prod', image, outputsFile: outputsFile() }), deps));
    expect(message).toBe(
      `image ${image} is in registry 444455556666.dkr.ecr.eu-central-1.amazonaws.com, but environment "prod" pulls platform/web from ${shared} (outputs imageRepositoryUri); ` +
        'push there or name that registry (multi-account layout: the shared-services account, GitHub variable IMAGE_REGISTRY_ACCOUNT)',
    );
  });

  test("another region of the same account is refused too (the nodes pull their own region's replica)", () => {
    const image = `111122223333.dkr.ecr.eu-west-1.amazonaws.com/platform/web${digest}`;
    expect(refused(() => prepare(options({ env: 'prod', image, outputsFile: outputsFile() }), deps))).toMatch(
      /is in registry 111122223333\.dkr\.ecr\.eu-west-1\.amazonaws\.com, but/,
    );
  });

  test('the registry of the outputs, or an image of another repository or registry, passes this check', () => {
    for (const image of [`${shared}/platform/web${digest}`, `${shared}/other/web${digest}`, `registry.local/web${digest}`]) {
      expect(prepare(options({ env: 'prod', image, outputsFile: outputsFile() }), deps).target.name).toBe('prod');
    }
  });
});
