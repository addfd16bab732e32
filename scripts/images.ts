/**
 * The image commands every pipeline calls (one build per declared image, only those a change needs):
 *
 *   npm run images:plan -- [--config <name>] [--base <commit>] [--head <commit>] [--out images-plan.json]
 *       which images to build (scripts/image-plan.ts): JSON on stdout (and in --out); in GitHub Actions also
 *       `matrix` (a strategy matrix: {"include":[…]}), `count` and `names` in $GITHUB_OUTPUT. No --base, an empty
 *       or all-zero one: every image.
 *   npm run images:build -- --plan images-plan.json --tag <commit> [--image <name>]
 *   npm run images:scan  -- --plan images-plan.json [--image <name>]
 *   npm run images:push  -- --plan images-plan.json --registry <registry> --tag <commit> --digests <dir> [--image <name>]
 *       each planned image (or the one named; a declared image the plan skips is skipped): build it into its archive
 *       (scripts/build-image.sh, its own context and Dockerfile), scan it (scripts/scan.sh: Trivy, SBOM), push it
 *       (.github/scripts/push-image.sh) and write its digest to <dir>/<name>.env (IMAGE_DIGEST=sha256:…).
 *   npm run deploy:built -- [--config <name>] --env <name> --registry <registry> --digests <dir> [deploy options…]
 *       the deploy command with every image pushed in this run, by digest:
 *       `npm run deploy -- --env <name> --image <name>=<registry>/<repository>@sha256:… …`; nothing pushed: nothing
 *       to release (exit 0). Signals go to the deploy command, whose exit code it returns.
 *
 * Exit codes: 0 done | 2 a usage error (named on stderr) | else the failing tool's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, type PlatformConfig, validatePlatformConfig } from '../config';
import { configurationFromArgs } from '../config/configurations';
import { type ImagePlan, type PlannedImage, planRepository } from './image-plan';

/** A command line that cannot run (exit 2); the message says what is wrong and what is allowed. */
export class UsageError extends Error {}

const ROOT = join(__dirname, '..');
const DIGEST = /^IMAGE_DIGEST=(sha256:[a-f0-9]{64})$/m;

const USAGE = `Usage: npm run images:plan -- [--config <name>] [--base <commit>] [--head <commit>] [--out <file>]
       npm run images:build -- --plan <file> --tag <tag> [--image <name>]
       npm run images:scan -- --plan <file> [--image <name>]
       npm run images:push -- --plan <file> --registry <registry> --tag <tag> --digests <dir> [--image <name>]
       npm run deploy:built -- [--config <name>] --env <name> --registry <registry> --digests <dir> [deploy options]`;

function parse(argv: readonly string[], options: Record<string, { type: 'string' }>, required: readonly string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
  const values = parsed.values as Record<string, string | undefined>;
  for (const flag of required) if (!values[flag]?.trim()) throw new UsageError(`--${flag} is required\n${USAGE}`);
  return values;
}

/** deploy:built's own options (--env, --registry, --digests; "--flag value" or "--flag=value"), and the deploy options it passes on. */
export function splitDeployArgs(argv: readonly string[]): { readonly own: Record<string, string>; readonly passed: string[] } {
  const own: Record<string, string> = {};
  const passed: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const name = flag.replace(/^--/, '');
    if (['env', 'registry', 'digests'].includes(name) && flag.startsWith('--')) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.trim() === '') throw new UsageError(`${flag} needs a value\n${USAGE}`);
      own[name] = value;
    } else if (flag === '--image') {
      throw new UsageError('--image is not taken here: the images are the ones this run pushed (--digests)');
    } else passed.push(argv[i]);
  }
  for (const name of ['env', 'registry', 'digests']) if (!own[name]) throw new UsageError(`--${name} is required\n${USAGE}`);
  return { own, passed };
}

// --- plan -------------------------------------------------------------------------------------------------------

/** The plan as GitHub Actions takes it: a strategy matrix with one entry per image to build. */
export function githubMatrix(plan: ImagePlan) {
  return {
    include: plan.images.map((i) => ({ name: i.name, context: i.context, dockerfile: i.dockerfile, repository: i.repositoryName, archive: i.archive })),
  };
}

const PLAN_FLAGS = { base: { type: 'string' }, head: { type: 'string' }, out: { type: 'string' } } as const;

function planMain(argv: readonly string[], io: Io): number {
  const selected = configurationFromArgs(argv, io.configurations);
  const { base, head, out } = parse(selected.rest, PLAN_FLAGS, []);
  const plan = planRepository(io.cwd, validatePlatformConfig(selected.config).images, base, head ?? 'HEAD');
  const json = JSON.stringify(plan);
  for (const name of plan.declared) {
    const image = plan.images.find((i) => i.name === name);
    io.log(`images:plan: ${name}: ${image ? `build (${image.because.join(', ')})` : `unchanged since ${plan.base}: not built`}`);
  }
  if (out) writeFileSync(resolve(io.cwd, out), `${json}\n`);
  if (io.env.GITHUB_OUTPUT) {
    appendFileSync(io.env.GITHUB_OUTPUT, `matrix=${JSON.stringify(githubMatrix(plan))}\ncount=${plan.images.length}\nnames=${plan.images.map((i) => i.name).join(' ')}\n`);
  }
  io.out(`${json}\n`);
  return 0;
}

// --- build, scan, push (over a plan) ----------------------------------------------------------------------------

/** Reads a plan file written by images:plan; throws UsageError naming what is wrong. */
export function readPlan(cwd: string, file: string): ImagePlan {
  let plan: ImagePlan;
  try {
    plan = JSON.parse(readFileSync(resolve(cwd, file), 'utf8')) as ImagePlan;
  } catch (e) {
    throw new UsageError(`--plan ${file}: ${(e as Error).message.replace(/, open .*$/, '')} (write it with npm run images:plan -- --out ${file})`);
  }
  if (!Array.isArray(plan?.images) || !Array.isArray(plan.declared)) throw new UsageError(`--plan ${file} is not an images:plan output (no "images" and "declared" lists)`);
  return plan;
}

/** The planned images a command works on: all, or the named one (none when the plan skips it). */
export function selectImages(plan: ImagePlan, name: string | undefined): PlannedImage[] {
  if (name === undefined) return [...plan.images];
  if (!plan.declared.includes(name)) throw new UsageError(`--image "${name}" is not a declared image; allowed: ${plan.declared.map((n) => `"${n}"`).join(', ')}`);
  return plan.images.filter((i) => i.name === name);
}

/** One tool run per image: the command line of each, in order. */
export function imageCommands(command: 'build' | 'scan' | 'push', images: readonly PlannedImage[], values: Record<string, string | undefined>): string[][] {
  return images.map((image) => {
    switch (command) {
      case 'build':
        return ['bash', 'scripts/build-image.sh', image.context, image.dockerfile, image.archive, `${image.name}:${values.tag}`];
      case 'scan':
        return ['bash', 'scripts/scan.sh', 'image', image.archive, `sbom-${image.name}.cdx.json`];
      case 'push':
        return [
          'bash',
          '.github/scripts/push-image.sh',
          image.archive,
          `${values.registry}/${image.repositoryName}`,
          String(values.tag),
          join(String(values.digests), `${image.name}.env`),
        ];
    }
  });
}

const EACH_FLAGS = { plan: { type: 'string' }, image: { type: 'string' }, tag: { type: 'string' }, registry: { type: 'string' }, digests: { type: 'string' } } as const;
const EACH_REQUIRED = { build: ['plan', 'tag'], scan: ['plan'], push: ['plan', 'registry', 'tag', 'digests'] } as const;

function eachMain(command: 'build' | 'scan' | 'push', argv: readonly string[], io: Io): number {
  const values = parse(argv, EACH_FLAGS, EACH_REQUIRED[command]);
  const plan = readPlan(io.cwd, values.plan!);
  const images = selectImages(plan, values.image);
  if (images.length === 0) {
    io.log(`images:${command}: ${values.image ? `"${values.image}" is` : 'no image is'} not in the plan (unchanged since ${plan.base}): nothing to ${command}`);
    return 0;
  }
  if (command === 'push') mkdirSync(resolve(io.cwd, values.digests!), { recursive: true });
  const failed: string[] = [];
  for (const [i, line] of imageCommands(command, images, values).entries()) {
    io.log(`images:${command}: ${images[i].name}: ${line.join(' ')}`);
    const code = io.run(line);
    if (code !== 0) {
      failed.push(images[i].name);
      // Scans go on (every finding in one run); a failed build or push stops there.
      if (command !== 'scan') return code;
    }
  }
  if (failed.length > 0) {
    io.log(`images:scan: failed for ${failed.map((n) => `"${n}"`).join(', ')}: nothing may be pushed`);
    return 1;
  }
  return 0;
}

// --- deploy what this run built ---------------------------------------------------------------------------------

/** The digests pushed in this run: every `<name>.env` under the folder (artifact downloads nest them). */
export function readDigests(dir: string): Map<string, string> {
  const digests = new Map<string, string>();
  if (!existsSync(dir)) return digests;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.env')) continue;
    const file = join(entry.parentPath, entry.name);
    const digest = DIGEST.exec(readFileSync(file, 'utf8'))?.[1];
    if (!digest) throw new UsageError(`${file} holds no IMAGE_DIGEST=sha256:<64 hex digits> line (written by npm run images:push)`);
    const name = entry.name.slice(0, -'.env'.length);
    if (digests.has(name) && digests.get(name) !== digest) throw new UsageError(`two different digests for image "${name}" under ${dir}`);
    digests.set(name, digest);
  }
  return digests;
}

/**
 * The deploy command's arguments for the images pushed in this run, in config order:
 * `--image <name>=<registry>/<repository>@<digest>` each, then the options given (--outputs, --timeout, …).
 * Undefined when nothing was pushed.
 */
export function deployBuiltArgs(config: PlatformConfig, configName: string, argv: readonly string[], digests: ReadonlyMap<string, string>): string[] | undefined {
  const { own, passed } = splitDeployArgs(argv);
  const registry = own.registry.trim();
  if (!/^[a-z0-9.-]+(:\d+)?$/.test(registry)) throw new UsageError(`--registry "${registry}" is not a registry host (e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com)`);
  const declared = config.images.map((i) => i.name);
  for (const name of digests.keys()) {
    if (!declared.includes(name))
      throw new UsageError(`a digest for image "${name}", which configuration "${configName}" does not declare; declared: ${declared.map((n) => `"${n}"`).join(', ')}`);
  }
  const built = config.images.filter((i) => digests.has(i.name));
  if (built.length === 0) return undefined;
  return [
    '--config',
    configName,
    '--env',
    own.env,
    ...built.flatMap((image) => ['--image', `${image.name}=${registry}/${image.repositoryName}@${digests.get(image.name)}`]),
    ...passed,
  ];
}

async function deployMain(argv: readonly string[], io: Io): Promise<number> {
  const selected = configurationFromArgs(argv, io.configurations);
  const config = validatePlatformConfig(selected.config);
  const args = deployBuiltArgs(config, selected.name, selected.rest, readDigests(resolve(io.cwd, splitDeployArgs(selected.rest).own.digests)));
  if (!args) {
    io.log(`deploy:built: no image was pushed in this run (no change to any image since the base): no workload to release`);
    return 0;
  }
  io.log(`deploy:built: npm run deploy -- ${args.join(' ')}`);
  return io.deploy(args);
}

// --- entry point ------------------------------------------------------------------------------------------------

export interface Io {
  /** The repository checkout the commands work in. */
  readonly cwd: string;
  /**
   * The configurations `--config` selects from.
   * @default CONFIGURATIONS (config/configurations.ts)
   */
  readonly configurations?: Readonly<Record<string, PlatformConfig>>;
  readonly env: NodeJS.ProcessEnv;
  readonly out: (text: string) => void;
  readonly log: (line: string) => void;
  /** Runs a tool in the repository, output inherited; its exit code. */
  readonly run: (line: readonly string[]) => number;
  /** Runs the deploy command with these arguments; its exit code. */
  readonly deploy: (args: readonly string[]) => Promise<number>;
}

export async function imagesMain(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'plan':
        return planMain(rest, io);
      case 'build':
      case 'scan':
      case 'push':
        return eachMain(command, rest, io);
      case 'deploy':
        return await deployMain(rest, io);
      default:
        throw new UsageError(`unknown command "${command}"; allowed: plan, build, scan, push, deploy\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      io.log(e.message);
      return 2;
    }
    throw e;
  }
}

/**
 * The deploy command (dist/deploy.js, built beside this file) as a child in its own process group: a signal sent to
 * this command's group (Ctrl-C) or to it alone (npm, a CI system) reaches the deploy command exactly once, forwarded
 * here, so it cleans up (a second signal means "exit at once" to it). A process-tree kill still reaches it.
 */
function runDeploy(args: readonly string[]): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(__dirname, 'deploy.js'), ...args], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    process.on('exit', () => child.exitCode === null && child.kill('SIGTERM'));
    child.on('error', fail);
    child.on('exit', (code, signal) => done(code ?? 128 + (signal ? osConstants.signals[signal] : 1)));
  });
}

if (require.main === module) {
  const io: Io = {
    cwd: ROOT,
    env: process.env,
    out: (text) => process.stdout.write(text),
    log: (line) => process.stderr.write(`${line}\n`),
    run: (line) => {
      const result = spawnSync(line[0], line.slice(1), { cwd: ROOT, stdio: 'inherit' });
      if (result.error) throw result.error;
      return result.status ?? 1;
    },
    deploy: runDeploy,
  };
  void imagesMain(process.argv.slice(2), io).then((code) => (process.exitCode = code));
}
