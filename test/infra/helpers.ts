/**
 * Synthesizes each test configuration once for all infra test files, and again only when something it depends on
 * changes: the first file (in any jest worker) to ask for a configuration synthesizes it into a directory under
 * $TMPDIR/platform-infra-tests keyed by a hash of the sources (infra/, config/, lambda/database-role/, the fixtures,
 * the lock file, the jest setup's CDK context) and of the configuration itself; the others, and later runs, read the
 * templates from there. Any change gives a new key, so results are never stale. One worker synthesizes while the others
 * wait for it (a lock file), and entries of other source states are pruned after an hour, so the cache does not grow
 * with every edit.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { type PlatformConfig, platformConfig, validatePlatformConfig, type Workload } from '../../config';
import { multiAccountConfig } from '../../config/examples/multi-account';
import { type Finding, readFindings, synthInfra } from '../../infra/app';

export const ROOT = resolve(__dirname, '..', '..');
/** Stand-in for dist/lambda (the asset's content does not matter to these tests). */
export const LAMBDA_FIXTURE = join(__dirname, 'fixtures', 'lambda');

export interface Platform {
  readonly dir: string;
  template(stackName: string): Template;
  json(stackName: string): Record<string, any>;
  readonly stackNames: string[];
  /** Where a stack deploys and whether it is termination-protected, as the cloud assembly's manifest records them. */
  stack(stackName: string): StackArtifact;
  readonly findings: Finding[];
}

export interface StackArtifact {
  /** Undefined for an account-agnostic stack. */
  readonly account?: string;
  readonly region: string;
  readonly terminationProtection: boolean;
}

/** Where synthesized assemblies are kept between files and runs. */
export const CACHE_DIR = join(tmpdir(), 'platform-infra-tests');
/** Entries (and scratch directories) untouched for this long are pruned: no test run lasts that long. */
const PRUNE_AFTER_MS = 60 * 60 * 1000;
/** How long a worker waits for another one's synthesis before giving up (a synth takes seconds). */
const LOCK_WAIT_MS = 10 * 60 * 1000;

let sourceHashOfRun: string | undefined;
/** Hash of everything a synthesis reads, by repo-relative path: the same in every clone of the same commit. */
function sourceHash(): string {
  if (sourceHashOfRun) return sourceHashOfRun;
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|js|json|yaml)$/.test(entry)) hash.update(relative(ROOT, full)).update(readFileSync(full));
    }
  };
  // infra/ reads its vendored CRDs (infra/crds/*.yaml) and imports the database-role statements from lambda/.
  for (const dir of ['infra', 'config', 'lambda/database-role', 'test/infra/fixtures']) walk(join(ROOT, dir));
  // The lock file pins aws-cdk-lib; the jest setup sets the context every synthesis here runs with.
  for (const file of ['package-lock.json', 'test/setup-env.js']) hash.update(file).update(readFileSync(join(ROOT, file)));
  return (sourceHashOfRun = hash.digest('hex'));
}

const cached = new Map<string, Platform>();

/** The default configuration's cloud assembly, synthesized at most once per source state. */
export function platform(): Platform {
  return synthesizeConfig(platformConfig, 'default');
}

/** The multi-account example's cloud assembly (config/examples/multi-account.ts), synthesized at most once per source state. */
export function multiAccountPlatform(): Platform {
  return synthesizeConfig(multiAccountConfig, 'multi-account');
}

export interface SynthesizeOptions {
  /**
   * Stacks synthesized as being created (infra/app.ts `InfraOptions.creating`).
   * @default - none
   */
  readonly creating?: readonly string[];
}

/**
 * A configuration's cloud assembly (validated first), synthesized once per source state and configuration: shared by
 * every test file and jest worker, and reused by later runs. `name` only labels the cache entry.
 */
export function synthesizeConfig(config: PlatformConfig, name: string, options: SynthesizeOptions = {}): Platform {
  const sources = sourceHash().slice(0, 16);
  const configKey = createHash('sha256').update(JSON.stringify({ config, options })).digest('hex').slice(0, 16);
  const dir = join(CACHE_DIR, `${sources}-${name.replace(/[^\w.-]+/g, '-')}-${configKey}`);
  const found = cached.get(dir);
  if (found) return found;
  mkdirSync(CACHE_DIR, { recursive: true });
  pruneOnce(sources);
  synthesizeLocked(dir, (outdir) =>
    synthInfra(validatePlatformConfig(config), { outdir, lambdaCodeDir: LAMBDA_FIXTURE, databaseRoleCodeDir: LAMBDA_FIXTURE, creating: options.creating }),
  );
  const now = new Date();
  utimesSync(dir, now, now); // in use: a concurrent run from another source state does not prune it
  const result = readPlatform(dir);
  cached.set(dir, result);
  return result;
}

/**
 * Synthesizes into `dir` unless it is there already. One process at a time per entry (an exclusive lock file holding
 * its pid): a second worker waits for the first one's result instead of synthesizing the same thing beside it.
 */
function synthesizeLocked(dir: string, synthesize: (outdir: string) => void): void {
  const lock = `${dir}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  while (!existsSync(join(dir, 'manifest.json'))) {
    if (tryLock(lock)) {
      try {
        if (existsSync(join(dir, 'manifest.json'))) return;
        const scratch = mkdtempSync(join(CACHE_DIR, 'synth-'));
        try {
          synthesize(scratch);
          renameSync(scratch, dir);
        } finally {
          rmSync(scratch, { recursive: true, force: true });
        }
      } finally {
        rmSync(lock, { force: true });
      }
      return;
    }
    if (lockHolderGone(lock)) rmSync(lock, { force: true });
    else if (Date.now() > deadline) throw new Error(`${lock}: still held after ${LOCK_WAIT_MS / 1000} s by pid ${readFileSync(lock, 'utf8')}`);
    else sleep(100);
  }
}

function tryLock(lock: string): boolean {
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** The lock's process has exited (crashed or killed mid-synth), or the lock vanished meanwhile. */
function lockHolderGone(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(lock, 'utf8'));
  } catch {
    return true;
  }
  if (!pid) return false; // created, pid not written yet
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

let pruned = false;
/**
 * Removes what no run of this source state can use and nothing has touched for PRUNE_AFTER_MS (once per process):
 * entries of other source states, and scratch directories and locks left by a killed synth. Entries of the current
 * state stay. A concurrent run from another source state (another branch) touches its entries when it opens them.
 */
function pruneOnce(currentSources: string): void {
  if (pruned) return;
  pruned = true;
  const cutoff = Date.now() - PRUNE_AFTER_MS;
  for (const entry of readdirSync(CACHE_DIR)) {
    if (entry.startsWith(`${currentSources}-`) && !entry.endsWith('.lock')) continue;
    const path = join(CACHE_DIR, entry);
    try {
      if (statSync(path).mtimeMs < cutoff) rmSync(path, { recursive: true, force: true });
    } catch {
      // removed by another process meanwhile
    }
  }
}

/** A synthesized cloud assembly in `dir`, its templates parsed on first use. */
export function readPlatform(dir: string): Platform {
  const templates = new Map<string, Template>();
  const jsons = new Map<string, Record<string, any>>();
  const json = (name: string) => {
    if (!jsons.has(name)) jsons.set(name, JSON.parse(readFileSync(join(dir, `${name}.template.json`), 'utf8')));
    return jsons.get(name)!;
  };
  let manifest: Record<string, any> | undefined;
  const stack = (name: string): StackArtifact => {
    manifest ??= JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, any>;
    const artifact = manifest.artifacts[name];
    if (artifact?.type !== 'aws:cloudformation:stack') throw new Error(`${dir}: no stack ${name}`);
    const [, account, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment)!;
    return { account: account === 'unknown-account' ? undefined : account, region, terminationProtection: artifact.properties?.terminationProtection === true };
  };
  return {
    dir,
    json,
    stack,
    template: (name) => {
      if (!templates.has(name)) templates.set(name, Template.fromJSON(json(name)));
      return templates.get(name)!;
    },
    stackNames: readdirSync(dir)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => f.replace('.template.json', '')),
    findings: readFindings(dir),
  };
}

/** Resources of one type in a template JSON, as [logicalId, resource] pairs. */
export function resourcesOfType(json: Record<string, any>, type: string): [string, any][] {
  return Object.entries(json.Resources as Record<string, any>).filter(([, r]) => r.Type === type);
}

/**
 * The value behind an environment stack's output relayed through its SharedValues SSM parameter: the element of the
 * parameter's `Fn::Join` that the output selects (`Fn::Select [i, Fn::Split ["|", SharedValues.Value]]`).
 */
export function relayedOutput(json: Record<string, any>, output: string): unknown {
  return relayedValue(json, json.Outputs[output].Value);
}

/** The value behind any use of the SharedValues relay in an environment stack (an output, a resource property). */
export function relayedValue(json: Record<string, any>, value: any): unknown {
  const [index, split] = value['Fn::Select'] ?? [];
  if (JSON.stringify(split) !== JSON.stringify({ 'Fn::Split': ['|', { 'Fn::GetAtt': ['SharedValues', 'Value'] }] })) {
    throw new Error(`value is not relayed through SharedValues: ${JSON.stringify(value)}`);
  }
  return json.Resources.SharedValues.Properties.Value['Fn::Join'][1][index];
}

/** The workloads with every public service moved to `host` (a test environment in another region or domain). */
export function withPublicHost(workloads: readonly Workload[], host: string): Workload[] {
  return workloads.map((w) => (w.kind === 'service' && w.exposure.kind === 'public' ? { ...w, exposure: { ...w.exposure, host } } : w));
}
