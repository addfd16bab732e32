import { parseArgs } from 'node:util';
import { inputError } from './errors';

/** apply a release; show it (dry run, diff); or remove a canary a stopped deploy left behind (abort-canary). */
export type DeployMode = 'apply' | 'dry-run' | 'diff' | 'abort-canary';

export interface DeployOptions {
  /** Environment (kind aws) or portable target name from the platform configuration. */
  readonly env: string;
  /**
   * Image to release; required unless `manifestsDir` is given (pre-rendered manifests are applied as-is).
   * @default - none: the images of the pre-rendered manifests
   */
  readonly image?: string;
  /**
   * `cdk deploy --outputs-file` JSON. Required for aws environments unless `manifestsDir` is given.
   * @default - none (portable targets take none)
   */
  readonly outputsFile?: string;
  /**
   * Folder of pre-rendered YAML applied as-is instead of rendering the chart.
   * @default - the chart is rendered with `image`
   */
  readonly manifestsDir?: string;
  /**
   * Any cluster: kubeconfig file.
   * @default - portable targets: KUBECONFIG; aws environments: the EKS cluster resolved through the AWS API
   */
  readonly kubeconfig?: string;
  /**
   * Context in the kubeconfig.
   * @default - the kubeconfig's current context
   */
  readonly context?: string;
  readonly mode: DeployMode;
  /** Overall rollout timeout in seconds (from the end of the apply). */
  readonly timeoutSeconds: number;
  /**
   * AWS API endpoint override (tests: moto_server). Also from env PLATFORM_AWS_ENDPOINT.
   * @default - the SDK's regional endpoints
   */
  readonly awsEndpoint?: string;
  /**
   * Longest wait, in seconds, for the release's ECR image to arrive in the environment's region by replication
   * (aws environments, ECR images only); 0 checks once.
   * @default 600
   */
  readonly imageWaitSeconds?: number;
}

export const USAGE = `Usage: npm run deploy -- --env <name> --image <ref> [options]

  --env <name>          environment (aws) or portable target from config/platform.ts
  --config <name>       configuration of config/configurations.ts (default "default"; e.g. "multi-account")
  --image <ref>         image to release: registry/repo:tag or registry/repo@sha256:<digest> (not :latest)
  --outputs <file>      cdk deploy --outputs-file JSON (required for aws environments unless --manifests)
  --manifests <dir>     apply pre-rendered YAML from <dir> as-is instead of rendering (no --image)
  --kubeconfig <path>   target any cluster (other clouds, on-prem, the local control plane);
                        without it an aws environment's EKS cluster is resolved via DescribeCluster + an STS token
  --context <name>      kubeconfig context (default: current context)
  --dry-run             server-side dry run of the apply (nothing persisted, no rollout)
  --diff                show kubectl diff --server-side against the cluster (nothing applied)
  --abort-canary        remove the canary Deployment a stopped deploy left behind (no --image; takes the
                        namespace's lock, so it waits for nobody: a live deploy holding it is reported)
  --timeout <seconds>   overall rollout timeout, default 600 (the Deployment's progressDeadlineSeconds usually fires first)
  --image-wait <s>      aws environments: wait at most this long for the ECR image to replicate to the
                        environment's region before refusing (exit 2), default 600; 0 checks once
  --aws-endpoint <url>  AWS API endpoint override (testing against moto_server)
  -h, --help            this help

Exit codes: 0 ok | 1 rollout failed, previous revision restored, or canary aborted (stable untouched) | 2 invalid input, nothing applied
            3 cluster unreachable or not the expected one, nothing applied
            4 rollout failed and restoring the previous revision failed (or none existed) | 5 apply rejected midway
            6 another deploy holds the namespace's lock, nothing applied | 7 internal error (a bug)
            8 cancelled by SIGINT/SIGTERM and cleaned up (canary removed, rollout undone, lock released); a second signal exits at once`;

export class HelpRequested extends Error {}

const FLAGS = {
  env: { type: 'string' },
  image: { type: 'string' },
  outputs: { type: 'string' },
  manifests: { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'dry-run': { type: 'boolean' },
  diff: { type: 'boolean' },
  'abort-canary': { type: 'boolean' },
  timeout: { type: 'string' },
  'aws-endpoint': { type: 'string' },
  'image-wait': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Whole seconds from `min` to `max`, or `fallback` when the flag is absent. */
function seconds(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw inputError(`${flag} is "${value}"; expected whole seconds from ${min} to ${max}`);
  return Number(value);
}

/** Parses and checks the command line shape (values are validated later against the configuration). */
export function parseDeployArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): DeployOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: FLAGS,
    });
  } catch (e) {
    throw inputError(`${(e as Error).message}\n\n${USAGE}`);
  }
  const v = parsed.values;
  if (v.help) throw new HelpRequested(USAGE);
  if (!v.env) throw inputError(`--env is required\n\n${USAGE}`);
  if (v.manifests !== undefined && v.image !== undefined) {
    throw inputError('--image cannot be combined with --manifests: pre-rendered manifests are applied as-is (render them with the image instead)');
  }
  if (v['abort-canary'] && (v.image !== undefined || v.manifests !== undefined || v['dry-run'] || v.diff)) {
    throw inputError('--abort-canary takes no --image, --manifests, --dry-run or --diff: it only removes a leftover canary of --env <name>');
  }
  if (v.manifests === undefined && !v.image && !v['abort-canary']) throw inputError(`--image is required (or --manifests <dir> with pre-rendered manifests)\n\n${USAGE}`);
  if (v['dry-run'] && v.diff) throw inputError('--dry-run and --diff are exclusive');
  if (v.context !== undefined && v.kubeconfig === undefined && !env.KUBECONFIG) {
    throw inputError('--context needs --kubeconfig (or KUBECONFIG in the environment)');
  }
  const timeoutSeconds = seconds('--timeout', v.timeout, 600, 1, 86400);
  const imageWaitSeconds = seconds('--image-wait', v['image-wait'], 600, 0, 3600);
  for (const [flag, value] of [
    ['--env', v.env],
    ['--outputs', v.outputs],
    ['--manifests', v.manifests],
    ['--kubeconfig', v.kubeconfig],
    ['--context', v.context],
  ] as const) {
    if (value !== undefined && value.trim() === '') throw inputError(`${flag} is empty; expected a value, e.g. ${flag} <value>`);
  }
  return {
    env: v.env,
    image: v.image,
    outputsFile: v.outputs,
    manifestsDir: v.manifests,
    kubeconfig: v.kubeconfig,
    context: v.context,
    mode: v['abort-canary'] ? 'abort-canary' : v['dry-run'] ? 'dry-run' : v.diff ? 'diff' : 'apply',
    timeoutSeconds,
    awsEndpoint: v['aws-endpoint'] ?? (env.PLATFORM_AWS_ENDPOINT || undefined),
    imageWaitSeconds,
  };
}
