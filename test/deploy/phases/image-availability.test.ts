/**
 * The image check before anything is applied, against moto's ECR: the digest is present, arrives late (replication),
 * or never arrives (exit 2, nothing applied, the message names repository, region and digest).
 */
import { existsSync, mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { Cancelled } from '../../../deploy/cancellation';
import { deployContext } from '../../../deploy/context';
import { EXIT } from '../../../deploy/errors';
import { parseEcrImage, waitForEcrImage, type EcrImage } from '../../../deploy/phases/image-availability';
import { deploy } from '../../../deploy/run';
import { parseDeployArgs } from '../../../deploy/args';
import { startMoto, useFakeAwsCredentials, type Moto } from '../../support/moto';
import { config, deployRefusal, fakeOutputs, fakeRender, options, writeOutputsFile } from '../fixtures';

jest.setTimeout(60_000);

const ACCOUNT = '123456789012';
const REGION = 'eu-central-1';
const REPOSITORY = 'platform/web';
const MISSING = `sha256:${'0'.repeat(64)}`;

let moto: Moto;
let restoreEnv: () => void;
let ecr: ECRClient;
let counter = 0;

beforeAll(async () => {
  restoreEnv = useFakeAwsCredentials();
  moto = await startMoto();
  ecr = new ECRClient({ region: REGION, endpoint: moto.endpoint });
  await ecr.send(new CreateRepositoryCommand({ repositoryName: REPOSITORY }));
});

afterAll(async () => {
  ecr?.destroy();
  await moto?.stop();
  restoreEnv?.();
});

/** A distinct image manifest (moto derives the digest from the layer digests). */
function manifest(): string {
  counter += 1;
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 100, digest: `sha256:${'c'.repeat(64)}` },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 100 + counter, digest: `sha256:${counter.toString(16).padStart(64, '1')}` }],
  });
}

/** Pushes a new image to the repository of `client`'s region and returns the digest ECR gives it. */
async function pushImage(tag: string, client = ecr, body = manifest()): Promise<string> {
  const answer = await client.send(new PutImageCommand({ repositoryName: REPOSITORY, imageManifest: body, imageTag: tag }));
  const digest = answer.image?.imageId?.imageDigest;
  expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
  return digest!;
}

const image = (digest: string): EcrImage => ({ account: ACCOUNT, region: REGION, repository: REPOSITORY, digest });

describe('parseEcrImage', () => {
  test('reads account, region, repository and digest (or tag) of an ECR reference', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseEcrImage(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${REPOSITORY}@${digest}`)).toEqual({ account: ACCOUNT, region: REGION, repository: REPOSITORY, digest });
    expect(parseEcrImage(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${REPOSITORY}:1.4.2@${digest}`)).toEqual({ account: ACCOUNT, region: REGION, repository: REPOSITORY, digest });
    expect(parseEcrImage(`${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/web:1.4.2`)).toEqual({ account: ACCOUNT, region: 'cn-north-1', repository: 'web', tag: '1.4.2' });
  });

  test('is undefined for other registries (nothing to check there)', () => {
    expect(parseEcrImage('registry.local/web:1.0.0')).toBeUndefined();
    expect(parseEcrImage(`public.ecr.aws/platform/web@sha256:${'a'.repeat(64)}`)).toBeUndefined();
  });
});

describe('waitForEcrImage (moto ECR)', () => {
  test('present: returns at once, one line, no waiting', async () => {
    const digest = await pushImage('present');
    const lines: string[] = [];
    const t0 = Date.now();
    await expect(waitForEcrImage(image(digest), { endpoint: moto.endpoint, waitSeconds: 5, pollMs: 200, log: (l) => lines.push(l) })).resolves.toBe(digest);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(lines).toEqual([`image: ${digest} in repository ${REPOSITORY} (${REGION}, account ${ACCOUNT}) is present`]);
  });

  test('by tag: the digest of the tag is returned', async () => {
    const digest = await pushImage('by-tag');
    await expect(
      waitForEcrImage({ account: ACCOUNT, region: REGION, repository: REPOSITORY, tag: 'by-tag' }, { endpoint: moto.endpoint, waitSeconds: 0, log: () => undefined }),
    ).resolves.toBe(digest);
  });

  test('arriving late (replication): waits with a progress line, then goes on', async () => {
    // Pushed to the primary region (eu-west-1) first: the digest is known before the image is in the environment's region…
    const primary = new ECRClient({ region: 'eu-west-1', endpoint: moto.endpoint });
    await primary.send(new CreateRepositoryCommand({ repositoryName: REPOSITORY }));
    const body = manifest();
    const digest = await pushImage('late', primary, body);
    primary.destroy();
    // …and "replicated" to it 1.5 s after the wait started.
    const lines: string[] = [];
    const replicated = new Promise<string>((resolve, reject) => setTimeout(() => pushImage('late', ecr, body).then(resolve, reject), 1500));
    const found = await waitForEcrImage(image(digest), { endpoint: moto.endpoint, waitSeconds: 20, pollMs: 300, log: (l) => lines.push(l) });
    expect(await replicated).toBe(digest);
    expect(found).toBe(digest);
    const waiting = lines.filter((l) => l.startsWith('image: waiting for'));
    expect(waiting.length).toBeGreaterThanOrEqual(2);
    expect(waiting[0]).toBe(`image: waiting for ${digest} in repository ${REPOSITORY} (${REGION}, account ${ACCOUNT}) to arrive by replication (0s of at most 20s)`);
    expect(lines.at(-1)).toMatch(new RegExp(`^image: ${digest} in repository ${REPOSITORY} \\(${REGION}, account ${ACCOUNT}\\) is present \\(arrived after \\d+s\\)$`));
  });

  test('never arriving: refuses with exit 2 after the bounded wait, naming repository, region and digest', async () => {
    const lines: string[] = [];
    const t0 = Date.now();
    const e = await deployRefusal(waitForEcrImage(image(MISSING), { endpoint: moto.endpoint, waitSeconds: 2, pollMs: 500, log: (l) => lines.push(l) }));
    const elapsed = Date.now() - t0;
    expect(e.exitCode).toBe(EXIT.invalidInput);
    expect(e.message).toContain(MISSING);
    expect(e.message).toContain(`repository ${REPOSITORY} (${REGION}, account ${ACCOUNT})`);
    expect(e.message).toMatch(/waited at most 2s for ECR replication.*nothing applied/);
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(10_000);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.every((l) => l.startsWith('image: waiting for'))).toBe(true);
  });

  test('a cancelled deploy stops waiting at once (exit 8, Cancelled), not at the next check', async () => {
    const controller = new AbortController();
    const lines: string[] = [];
    const started = Date.now();
    const waiting = waitForEcrImage(image(MISSING), { endpoint: moto.endpoint, waitSeconds: 600, pollMs: 60_000, log: (l) => lines.push(l), cancellation: controller.signal });
    while (lines.length === 0) await new Promise((r) => setTimeout(r, 20));
    controller.abort('SIGTERM');
    await expect(waiting).rejects.toEqual(new Cancelled('SIGTERM'));
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('fails at once when the repository does not exist in the region, naming it', async () => {
    const e = await deployRefusal(
      waitForEcrImage({ ...image(MISSING), repository: 'platform/none' }, { endpoint: moto.endpoint, waitSeconds: 30, pollMs: 200, log: () => undefined }),
    );
    expect(e.exitCode).toBe(EXIT.invalidInput);
    expect(e.message).toMatch(/image repository platform\/none does not exist in eu-central-1 \(account 123456789012\)/);
  });

  test('fails when the wait is not a whole number of seconds', async () => {
    const e = await deployRefusal(waitForEcrImage(image(MISSING), { endpoint: moto.endpoint, waitSeconds: -1, log: () => undefined }));
    expect(e.message).toBe('image wait is -1 seconds; expected a whole number of seconds, 0 or more');
  });
});

describe('the deploy command checks the image before anything else', () => {
  test('an image that never arrives: exit 2, and kubectl never ran', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-image-'));
    const marker = join(dir, 'kubectl-ran');
    const kubectl = join(dir, 'kubectl');
    writeFileSync(kubectl, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`);
    chmodSync(kubectl, 0o755);
    const env = config.environments.find((e) => e.name === 'prod')!;
    const ref = `${ACCOUNT}.dkr.ecr.${env.region}.amazonaws.com/${REPOSITORY}@${MISSING}`;
    const outputsFile = writeOutputsFile('prod', fakeOutputs('prod'));
    const lines: string[] = [];
    const release = options({ env: 'prod', image: ref, outputsFile, awsEndpoint: moto.endpoint, imageWaitSeconds: 0 });
    const context = deployContext(release, { config, render: fakeRender, log: (l) => lines.push(l), env: { ...process.env, KUBECTL: kubectl }, workdir: dir });
    const run = deploy(context, release);
    const e = await deployRefusal(run);
    expect(e.exitCode).toBe(EXIT.invalidInput);
    expect(e.message).toContain(`${MISSING} in repository ${REPOSITORY} (${env.region}, account ${ACCOUNT})`);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(dir, '.deploy'))).toBe(false);
  });

  test('--image-wait: default 600 s, 0 allowed, bad values refused naming the value', () => {
    expect(parseDeployArgs(['--env', 'dev', '--image', 'r.example/web:1.0.0']).imageWaitSeconds).toBe(600);
    expect(parseDeployArgs(['--env', 'dev', '--image', 'r.example/web:1.0.0', '--image-wait', '0']).imageWaitSeconds).toBe(0);
    expect(() => parseDeployArgs(['--env', 'dev', '--image', 'r.example/web:1.0.0', '--image-wait', '5m'])).toThrow('--image-wait is "5m"; expected whole seconds from 0 to 3600');
    expect(() => parseDeployArgs(['--env', 'dev', '--image', 'r.example/web:1.0.0', '--image-wait', '7200'])).toThrow(/--image-wait is "7200"/);
  });
});
