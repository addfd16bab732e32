/**
 * Before anything is applied: is the release's image in the environment's ECR repository, where the cluster will
 * pull it? The pipeline pushes to the primary region and ECR replicates to the others asynchronously, so a deploy
 * right after the push may name a digest that has not arrived yet. This waits a bounded time for it (ECR
 * DescribeImages, which the deploy role may call on its environment's repository) and otherwise refuses (exit 2).
 */
import { DescribeImagesCommand, ECRClient, type ImageIdentifier } from '@aws-sdk/client-ecr';
import type { AwsClientOptions } from '../adapters/eks';
import { cancellableClock } from '../cancellation';
import { systemClock } from '../clock';
import type { DeployContext, Log } from '../context';
import { clusterError, inputError } from '../errors';

/** An image in a private ECR registry, as the cluster will pull it. */
export interface EcrImage {
  readonly account: string;
  readonly region: string;
  /** Repository name, e.g. "platform/web". */
  readonly repository: string;
  /** `sha256:<64 hex>`, when the reference is by digest. */
  readonly digest?: string;
  /** The tag, when the reference is by tag only. */
  readonly tag?: string;
}

const ECR_REFERENCE = /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?\/([a-z0-9._/-]+?)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/** The ECR parts of an image reference, or undefined when the image is in another registry (nothing to check there). */
export function parseEcrImage(image: string): EcrImage | undefined {
  const m = ECR_REFERENCE.exec(image);
  if (!m) return undefined;
  const [, account, region, repository, tag, digest] = m;
  if (!tag && !digest) return undefined;
  return digest ? { account, region, repository, digest } : { account, region, repository, tag };
}

export interface ImageAvailabilityOptions extends AwsClientOptions {
  /** Longest wait for replication, in seconds (0: check once). */
  readonly waitSeconds: number;
  /**
   * Interval between checks, in milliseconds.
   * @default 10000
   */
  readonly pollMs?: number;
  readonly log: Log;
  /**
   * Aborted when the deploy is cancelled: the wait ends at once with `Cancelled`.
   * @default - never aborted
   */
  readonly cancellation?: AbortSignal;
}

/** What one DescribeImages answered. */
type Lookup = { readonly found: true; readonly digest: string } | { readonly found: false };

async function describe(client: ECRClient, image: EcrImage): Promise<Lookup> {
  const imageId: ImageIdentifier = image.digest ? { imageDigest: image.digest } : { imageTag: image.tag };
  try {
    const answer = await client.send(new DescribeImagesCommand({ registryId: image.account, repositoryName: image.repository, imageIds: [imageId] }));
    const detail = answer.imageDetails?.[0];
    return detail?.imageDigest ? { found: true, digest: detail.imageDigest } : { found: false };
  } catch (e) {
    const err = e as { name?: string; message?: string };
    if (err.name === 'ImageNotFoundException') return { found: false };
    if (err.name === 'RepositoryNotFoundException') {
      throw inputError(
        `image repository ${image.repository} does not exist in ${image.region} (account ${image.account}): deploy the shared stack of that region first (nothing applied)`,
      );
    }
    throw clusterError(`cannot look up ${describeImage(image)} in ECR: ${err.name ?? 'Error'}: ${err.message} (nothing applied)`);
  }
}

function describeImage(image: EcrImage): string {
  return `${image.digest ?? `tag ${image.tag}`} in repository ${image.repository} (${image.region}, account ${image.account})`;
}

/**
 * Waits until the image is in its ECR repository, printing a progress line per check while it is missing, for at
 * most `waitSeconds`. Returns the digest found; refuses with exit 2 when it never arrives (nothing applied).
 */
export async function waitForEcrImage(image: EcrImage, options: ImageAvailabilityOptions): Promise<string> {
  if (!Number.isInteger(options.waitSeconds) || options.waitSeconds < 0) {
    throw inputError(`image wait is ${JSON.stringify(options.waitSeconds)} seconds; expected a whole number of seconds, 0 or more`);
  }
  const pollMs = options.pollMs ?? 10_000;
  const client = new ECRClient({ region: image.region, endpoint: options.endpoint, credentials: options.credentials, maxAttempts: 2 });
  const start = Date.now();
  const deadline = start + options.waitSeconds * 1000;
  try {
    for (let check = 1; ; check += 1) {
      const lookup = await describe(client, image);
      const elapsed = Math.round((Date.now() - start) / 1000);
      if (lookup.found) {
        options.log(`image: ${describeImage(image)} is present${check > 1 ? ` (arrived after ${elapsed}s)` : ''}`);
        return lookup.digest;
      }
      if (Date.now() + pollMs > deadline) {
        throw inputError(
          `image ${describeImage(image)} is not there after ${elapsed}s (waited at most ${options.waitSeconds}s for ECR replication): ` +
            'the cluster could not pull it; check that the push and replication succeeded, or raise --image-wait (nothing applied)',
        );
      }
      options.log(`image: waiting for ${describeImage(image)} to arrive by replication (${elapsed}s of at most ${options.waitSeconds}s)`);
      await cancellableClock(systemClock, options.cancellation ?? new AbortController().signal).sleep(pollMs);
    }
  } finally {
    client.destroy();
  }
}

/** Every ECR image of the release (others are skipped: nothing to check there), one after the other. */
export async function checkReleaseImages({ aws, log, cancellation }: DeployContext, images: readonly string[], waitSeconds: number): Promise<void> {
  for (const image of images) {
    const ecr = parseEcrImage(image);
    if (ecr) await waitForEcrImage(ecr, { ...aws, waitSeconds, log, cancellation });
  }
}
