/**
 * The contract between the cloud side (CDK) and the workloads (cdk8s charts, deploy command).
 *
 * Each environment stack emits one CloudFormation output per field below, with the field name as the output key.
 * `cdk deploy --outputs-file cdk-outputs.json` writes them as `{ "<stack name>": { "<field>": "<value>" } }`,
 * which `readWorkloadOutputs` turns back into this shape. Offline, the charts use `placeholderOutputs` instead,
 * and every value carries a marker that the deploy command refuses to apply.
 */
export interface WorkloadOutputs {
  /** Environment name, e.g. "dev". */
  readonly environment: string;
  /** EKS cluster name. */
  readonly clusterName: string;
  /** Region of the cluster (and of everything in the environment stack). */
  readonly region: string;
  /** Namespace of the application. */
  readonly namespace: string;
  /** ARN of the region's shared ACM certificate, used by the ALB's HTTPS listener. */
  readonly certificateArn: string;
  /** ARN of the central Cognito user pool. */
  readonly userPoolArn: string;
  /** ID of the central user pool, e.g. "eu-west-1_AbCdEf". */
  readonly userPoolId: string;
  /** Region of the central user pool (ALBs elsewhere authenticate through OIDC). */
  readonly userPoolRegion: string;
  /** Prefix of the Cognito hosted domain (not the full domain). */
  readonly userPoolDomain: string;
  /** ID of this environment's ALB app client. */
  readonly userPoolClientId: string;
  /**
   * Secrets Manager ARN of a JSON secret `{ "clientID", "clientSecret" }` for this environment's app client.
   * The deploy command turns it into a Kubernetes Secret when the ALB authenticates through OIDC.
   */
  readonly userPoolClientSecretArn: string;
  /** IAM role of the application's ServiceAccount (EKS Pod Identity association; no annotation needed). */
  readonly podRoleArn: string;
  /** Name of the application's S3 bucket. */
  readonly bucketName: string;
  /** Hostname of the PostgreSQL endpoint. */
  readonly databaseEndpoint: string;
  /** Port of the PostgreSQL endpoint. */
  readonly databasePort: string;
  /** AWS account of the environment (the ALB's ARN, which the service checks as signer of the identity header, names it). */
  readonly account: string;
  /** URI of the ECR repository of the web image in this environment's region. */
  readonly imageRepositoryUri: string;
  /** Base URL of the serverless API (API Gateway). */
  readonly apiUrl: string;
  /**
   * ID of this environment's public app client (no secret; authorization code flow with PKCE), the one a browser
   * app signs users in with to call the API (`https://<hostname>` is its only CORS origin).
   */
  readonly apiClientId: string;
}

export type WorkloadOutputField = keyof WorkloadOutputs;

export const WORKLOAD_OUTPUT_FIELDS: readonly WorkloadOutputField[] = [
  'environment',
  'clusterName',
  'region',
  'namespace',
  'certificateArn',
  'userPoolArn',
  'userPoolId',
  'userPoolRegion',
  'userPoolDomain',
  'userPoolClientId',
  'userPoolClientSecretArn',
  'podRoleArn',
  'bucketName',
  'databaseEndpoint',
  'databasePort',
  'account',
  'imageRepositoryUri',
  'apiUrl',
  'apiClientId',
];

/** Name of the CloudFormation stack of an environment, e.g. "platform-dev". */
export function environmentStackName(project: string, environment: string): string {
  return `${project}-${environment}`;
}

/** Longest name Elastic Load Balancing accepts for a load balancer. */
export const MAX_LOAD_BALANCER_NAME_LENGTH = 32;

/**
 * Name of an environment's ALB, shared by its public services (the Ingress annotation
 * `alb.ingress.kubernetes.io/load-balancer-name`; one IngressGroup). Without it the AWS Load Balancer Controller
 * derives a name from the Ingress; a fixed name that no workload's name is part of keeps the load balancer (and the
 * DNS records external-dns points at it) recognisable across workload changes, in alarms and in the console.
 */
export function loadBalancerName(project: string, environment: string): string {
  return `${project}-${environment}-ingress`;
}

/** The IngressGroup every public service of an environment joins (one ALB, one rule per service). */
export function ingressGroupName(project: string, environment: string): string {
  return `${project}-${environment}`;
}

/** Marks a value that only exists after `cdk deploy`. Manifests containing it must never be applied. */
export function placeholder(field: string): string {
  return `<placeholder:${field}>`;
}

/** Finds placeholder markers in text (synthesized YAML); each match's group 1 is the field name. */
export const PLACEHOLDER_PATTERN = /<placeholder:([A-Za-z0-9_-]+)>/g;

/** Outputs for offline synth: real where the configuration already knows the value, marked placeholders elsewhere. */
export function placeholderOutputs(environment: string, region: string, namespace: string, userPoolRegion: string): WorkloadOutputs {
  const outputs = Object.fromEntries(WORKLOAD_OUTPUT_FIELDS.map((field) => [field, placeholder(field)])) as Record<WorkloadOutputField, string>;
  return { ...outputs, environment, region, namespace, userPoolRegion };
}

/** A `cdk deploy --outputs-file` document is missing a stack or fields, or has empty values. */
export class OutputsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputsError';
  }
}

/**
 * Reads one environment's outputs from a parsed `cdk deploy --outputs-file` document.
 * Throws `OutputsError` naming the stack and every missing field.
 */
export function readWorkloadOutputs(document: unknown, stackName: string): WorkloadOutputs {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new OutputsError(`outputs document is ${JSON.stringify(document)?.slice(0, 80)}; expected the JSON object written by "cdk deploy --outputs-file"`);
  }
  const stacks = document as Record<string, unknown>;
  const stack = stacks[stackName];
  if (typeof stack !== 'object' || stack === null) {
    const have = Object.keys(stacks);
    throw new OutputsError(
      `outputs have no stack "${stackName}" (have: ${have.length ? have.join(', ') : 'none'}); deploy it with "cdk deploy ${stackName} --outputs-file <file>"`,
    );
  }
  const values = stack as Record<string, unknown>;
  const missing = WORKLOAD_OUTPUT_FIELDS.filter((field) => typeof values[field] !== 'string' || (values[field] as string).length === 0);
  if (missing.length > 0) {
    throw new OutputsError(`outputs of stack "${stackName}" lack ${missing.join(', ')}; redeploy the stack so it emits every workload output`);
  }
  const placeholders = WORKLOAD_OUTPUT_FIELDS.filter((field) => (values[field] as string).includes('<placeholder:'));
  if (placeholders.length > 0) {
    throw new OutputsError(`outputs of stack "${stackName}" still hold placeholders for ${placeholders.join(', ')}`);
  }
  return Object.fromEntries(WORKLOAD_OUTPUT_FIELDS.map((field) => [field, values[field]])) as unknown as WorkloadOutputs;
}

/** A workload output that belongs to another environment than the one being rendered or deployed. */
export interface OutputMismatch {
  readonly field: 'environment' | 'region' | 'namespace' | 'userPoolRegion';
  readonly actual: string;
  readonly expected: string;
}

/**
 * The outputs' values that the configuration already knows (environment, region, namespace, user pool region)
 * and that differ from it: a non-empty result means outputs of another environment's stack.
 */
export function outputMismatches(
  outputs: WorkloadOutputs,
  expected: { readonly environment: string; readonly region: string; readonly namespace: string; readonly userPoolRegion: string },
): OutputMismatch[] {
  return (['environment', 'region', 'namespace', 'userPoolRegion'] as const)
    .filter((field) => outputs[field] !== expected[field])
    .map((field) => ({ field, actual: outputs[field], expected: expected[field] }));
}
