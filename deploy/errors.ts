/**
 * Exit codes of `npm run deploy` (documented in deploy/README.md#exit-codes; the pipeline relies on them).
 */
export const EXIT = {
  /** Applied and rolled out (or: dry run / diff finished). */
  ok: 0,
  /** The new release failed (progress deadline exceeded or --timeout); the previous revision was restored and is healthy. */
  rolledBack: 1,
  /** Invalid input: arguments, unknown environment, malformed image, an image missing from the environment's ECR repository, outputs, placeholders, manifests the API server rejects before anything is applied. Nothing was applied. */
  invalidInput: 2,
  /** The cluster is unreachable, is not the expected one, or could not be resolved (EKS DescribeCluster, credentials). Nothing was applied. */
  clusterUnreachable: 3,
  /** The release failed and restoring the previous revision failed too (or there was no previous revision): the workload needs attention. */
  rollbackFailed: 4,
  /** The API server rejected objects during the apply itself: some objects may be at the new version. */
  applyFailed: 5,
  /** Another deploy holds the namespace's lock (a Lease): nothing was applied. */
  locked: 6,
  /** An internal error (a bug, not a refusal of the cluster): the release may be partly applied; the message has the stack. */
  internalError: 7,
  /** Stopped by SIGINT/SIGTERM and cleaned up: a canary it started removed, a rolling update it started rolled back, its lock released. */
  cancelled: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the deploy command reports with a clear message and a documented exit code (no stack trace). */
export class DeployError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'DeployError';
  }
}

export const inputError = (message: string) => new DeployError(message, EXIT.invalidInput);
export const clusterError = (message: string) => new DeployError(message, EXIT.clusterUnreachable);
