import { parseArgs } from 'node:util';
import { inputError } from './errors';

/** apply a release; show it (dry run, diff); or remove a canary a stopped deploy left behind (abort-canary). */
export type DeployMode = 'apply' | 'dry-run' | 'diff' | 'abort-canary';

export interface DeployOptions {
  /** Environment (kind aws) or portable target name from the platform configuration. */
  readonly env: string;
  /**
   * A bare `--image <ref>`: the target's one image (refused when its workloads run several).
   * @default - none: `images` by name, or the images of the pre-rendered manifests
   */
  readonly image?: string;
  /**
   * `--image <name>=<ref>` per image name: the workloads that run these images are released.
   * @default - none: `image`, or the images of the pre-rendered manifests
   */
  readonly images?: Readonly<Record<string, string>>;
  /**
   * `--workload <name>`: only these workloads are released (each one's image must be given, unless `manifestsDir`).
   * @default - every workload that runs a given image (with `manifestsDir`: every workload of the folder)
   */
  readonly workloads?: readonly string[];
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

export const USAGE = `Usage: npm run deploy -- --env <name> --image <name>=<ref> [--image <name>=<ref>…] [--workload <name>…] [options]

  --env <name>          environment (aws) or portable target from config/platform.ts
  --config <name>       configuration of config/configurations.ts (default "default"; e.g. "multi-account")
  --image <name>=<ref>  a release of image <name> (config images): registry/repo:tag or registry/repo@sha256:<digest>
                        (not :latest); repeat per image. Releases every workload that runs a given image.
                        A bare --image <ref> is accepted when the target runs exactly one image.
  --workload <name>     release only this workload (repeatable); its image must be given with --image
                        (with --manifests: only this workload's file of the folder)
  --outputs <file>      cdk deploy --outputs-file JSON (required for aws environments unless --manifests)
  --manifests <dir>     apply pre-rendered YAML from <dir> as-is instead of rendering (no --image): one file per
                        workload as npm run render writes them; a file without a Deployment or CronJob holds the
                        namespace-level objects
  --kubeconfig <path>   target any cluster (other clouds, on-prem, the local control plane);
                        without it an aws environment's EKS cluster is resolved via DescribeCluster + an STS token
  --context <name>      kubeconfig context (default: current context)
  --dry-run             server-side dry run of the apply (nothing persisted, no rollout)
  --diff                show kubectl diff --server-side against the cluster (nothing applied)
  --abort-canary        remove the canary Deployment a stopped deploy left behind (no --image; takes the
                        workload's lock, so it waits for nobody: a live deploy holding it is reported);
                        --workload <name> names the service when several release through a canary
  --timeout <seconds>   overall rollout timeout, default 600 (the Deployment's progressDeadlineSeconds usually fires first)
  --image-wait <s>      aws environments: wait at most this long for the ECR image to replicate to the
                        environment's region before refusing (exit 2), default 600; 0 checks once
  --aws-endpoint <url>  AWS API endpoint override (testing against moto_server)
  -h, --help            this help

Exit codes (several workloads: the worst, 4 > 5 > 1 > 0): 0 ok | 1 a workload's rollout failed and its previous
            revision was restored, or its canary was aborted (stable untouched) | 2 invalid input, nothing applied
            3 cluster unreachable or not the expected one, nothing applied
            4 rollout failed and restoring the previous revision failed (or none existed) | 5 apply rejected midway
            6 another deploy holds a released workload's lock, nothing applied | 7 internal error (a bug)
            8 cancelled by SIGINT/SIGTERM and cleaned up (canary removed, rollout undone, lock released); a second signal exits at once`;

export class HelpRequested extends Error {}

const FLAGS = {
  env: { type: 'string' },
  image: { type: 'string', multiple: true },
  workload: { type: 'string', multiple: true },
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

/** The --image values: `<name>=<ref>` by name, or one bare reference. A name given twice is refused. */
export function parseImageArgs(values: readonly string[]): { readonly bare?: string; readonly named: Readonly<Record<string, string>> } {
  if (values.length === 0) throw inputError('--image required: --image <name>=<ref> per image the target runs (or --image <ref> when it runs one)');
  const named: Record<string, string> = {};
  const bare: string[] = [];
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq < 0) {
      bare.push(value);
      continue;
    }
    const name = value.slice(0, eq);
    if (name === '') throw inputError(`--image ${value}: the image name before "=" is empty; expected --image <name>=<ref>`);
    if (name in named) throw inputError(`--image ${name} is given twice (${named[name]}, ${value.slice(eq + 1)}); give each image name once`);
    named[name] = value.slice(eq + 1);
  }
  if (bare.length > 0 && (bare.length > 1 || Object.keys(named).length > 0)) {
    throw inputError(`--image ${bare[0]}: a bare reference is accepted only alone (for a target of one image); name each image: --image <name>=<ref>`);
  }
  return { ...(bare.length ? { bare: bare[0] } : {}), named };
}

/** The --workload values, each once (which names exist is checked against the target by phases/prepare.ts). */
function parseWorkloadArgs(values: readonly string[] | undefined): readonly string[] | undefined {
  if (values === undefined) return undefined;
  const twice = values.find((v, i) => values.indexOf(v) !== i);
  if (twice !== undefined) throw inputError(`--workload ${twice} is given twice; give each workload once`);
  const empty = values.find((v) => v.trim() === '');
  if (empty !== undefined) throw inputError('--workload is empty; expected a workload name, e.g. --workload web');
  return values;
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
  if (v['abort-canary'] && (v.workload?.length ?? 0) > 1) throw inputError(`--abort-canary takes one --workload (given ${v.workload!.join(', ')})`);
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
  const images = v.image && parseImageArgs(v.image);
  return {
    env: v.env,
    ...(images && images.bare !== undefined ? { image: images.bare } : {}),
    ...(images && images.bare === undefined ? { images: images.named } : {}),
    ...(v.workload ? { workloads: parseWorkloadArgs(v.workload) } : {}),
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
