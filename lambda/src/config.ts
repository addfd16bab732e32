import { UPLOAD_API_ENV } from '../../config/api';

/** Runtime configuration, parsed once from the environment by the composition root (index.ts) and passed down. */
export interface Config {
  /** Bucket that holds every upload, under `users/<sub>/`. */
  readonly bucket: string;
  /** KMS key (ARN or id) that uploads must be encrypted with (SSE-KMS); presigned PUTs require it. */
  readonly kmsKeyId: string;
  /** Largest accepted upload, in bytes. */
  readonly maxUploadBytes: number;
  /** Lifetime of presigned URLs, in seconds. */
  readonly urlExpiresSeconds: number;
  /** Path-style S3 addressing: needed for emulators (moto) reached through AWS_ENDPOINT_URL(_S3). */
  readonly forcePathStyle: boolean;
}

const ENV = UPLOAD_API_ENV;

export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
export const URL_EXPIRES_SECONDS = 300;
/** S3's own limit for a single PUT. */
const S3_SINGLE_PUT_LIMIT = 5 * 1024 ** 3;

export type Env = Readonly<Record<string, string | undefined>>;

/** Throws one error naming every problem, so a misconfigured function fails at cold start rather than per request. */
export function parseConfig(env: Env): Config {
  const problems: string[] = [];
  const bucket = env[ENV.bucket]?.trim() ?? '';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    problems.push(`${ENV.bucket} must be an S3 bucket name, got ${JSON.stringify(env[ENV.bucket] ?? '')}`);
  }
  const kmsKeyId = env[ENV.kmsKeyId]?.trim() ?? '';
  if (!/^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+|[0-9a-f-]{36}|alias\/[A-Za-z0-9/_-]+)$/.test(kmsKeyId)) {
    problems.push(`${ENV.kmsKeyId} must be a KMS key ARN, key id or alias, got ${JSON.stringify(env[ENV.kmsKeyId] ?? '')}`);
  }
  let maxUploadBytes = DEFAULT_MAX_UPLOAD_BYTES;
  const rawMax = env[ENV.maxUploadBytes]?.trim();
  if (rawMax) {
    maxUploadBytes = /^\d+$/.test(rawMax) ? Number(rawMax) : NaN;
    if (!Number.isSafeInteger(maxUploadBytes) || maxUploadBytes < 1 || maxUploadBytes > S3_SINGLE_PUT_LIMIT) {
      problems.push(`${ENV.maxUploadBytes} must be an integer from 1 to ${S3_SINGLE_PUT_LIMIT} (one S3 PUT), got ${JSON.stringify(rawMax)}`);
    }
  }
  if (problems.length > 0) throw new Error(`Invalid Lambda configuration: ${problems.join('; ')}`);
  return {
    bucket,
    kmsKeyId,
    maxUploadBytes,
    urlExpiresSeconds: URL_EXPIRES_SECONDS,
    forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL),
  };
}
