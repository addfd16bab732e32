/**
 * Environment variables of the sample service (app/): set by the charts (ConfigMap, Secret references) and the
 * image, read by app/src/config.ts. One name per setting, used on both sides.
 */
export const APP_ENV = {
  /** TCP port to listen on. */
  port: 'PORT',
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
  databaseSecretArn: 'DATABASE_SECRET_ARN',
  databaseUsername: 'DATABASE_USERNAME',
  databasePassword: 'DATABASE_PASSWORD',
  databaseSsl: 'DATABASE_SSL',
} as const;

export type AppEnvName = (typeof APP_ENV)[keyof typeof APP_ENV];
