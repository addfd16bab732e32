/**
 * Environment variables of the sample application (app/, in each of its modes: serve, worker, prune): set by the
 * charts (ConfigMap, Secret references) and the image, read by app/src/config.ts. One name per setting, used on both
 * sides.
 */
export const APP_ENV = {
  /** TCP port to listen on. */
  port: 'PORT',
  /** TCP port of the Prometheus metrics listener (0: any free port). */
  metricsPort: 'METRICS_PORT',
  /** Environment name shown by the service. */
  environment: 'APP_ENV',
  /** Release (the image sets it to the commit). */
  version: 'APP_VERSION',
  region: 'AWS_REGION',
  bucketName: 'BUCKET_NAME',
  /** Upper bound of the shutdown after SIGTERM (the chart sets it to its drain time). */
  shutdownTimeoutSeconds: 'SHUTDOWN_TIMEOUT_SECONDS',
  shutdownDelaySeconds: 'SHUTDOWN_DELAY_SECONDS',
  databaseHost: 'DATABASE_HOST',
  databasePort: 'DATABASE_PORT',
  databaseName: 'DATABASE_NAME',
  /** How the service logs in: `iam` (RDS IAM authentication) or `files` (a mounted Secret). */
  databaseAuth: 'DATABASE_AUTH',
  /** The application role (IAM authentication). */
  databaseUsername: 'DATABASE_USERNAME',
  /** Directory with the files `username` and `password` (DATABASE_AUTH=files). */
  databaseCredentialsDir: 'DATABASE_CREDENTIALS_DIR',
  databaseSsl: 'DATABASE_SSL',
  /** Refused: credentials never travel in environment variables (the service names the supported ways). */
  databasePassword: 'DATABASE_PASSWORD',
  /** Refused: the workload has no business with the master secret. */
  databaseSecretArn: 'DATABASE_SECRET_ARN',
  /** Where the signed-in user comes from: `alb` (verified x-amzn-oidc-data) or `none`. */
  identitySource: 'IDENTITY_SOURCE',
  /** The load balancer whose signature is trusted: an ARN, or one ending in `/*` for any ID under that name. */
  albSigner: 'ALB_SIGNER',
  /** Override of the regional public key endpoint (tests only). */
  albPublicKeysUrl: 'ALB_PUBLIC_KEYS_URL',
  /** Worker mode: most work items claimed (and processed) in one transaction. */
  workerBatchSize: 'WORKER_BATCH_SIZE',
  /** Worker mode: wait between polls while the queue is empty or the database failed (milliseconds). */
  workerPollMs: 'WORKER_POLL_MS',
  /** Worker mode: `/healthz` fails when no loop iteration completed for this long (seconds): a stuck worker is restarted. */
  workerStallSeconds: 'WORKER_STALL_SECONDS',
  /** Prune mode: processed work items older than this (seconds) are deleted. */
  pruneAfterSeconds: 'PRUNE_AFTER_SECONDS',
} as const;

export type AppEnvName = (typeof APP_ENV)[keyof typeof APP_ENV];
