/**
 * Synthesizes the platform once for all infra test files: the first file (in any jest worker) synthesizes into a
 * temporary directory keyed by a hash of the sources, the others read the templates from there. A change to
 * infra/, config/ or the fixture gives a new key, so results are never stale.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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
  readonly findings: Finding[];
}

function sourceHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|js|json)$/.test(entry)) hash.update(full).update(readFileSync(full));
    }
  };
  for (const dir of ['infra', 'config', 'test/infra/fixtures']) walk(join(ROOT, dir));
  hash.update(readFileSync(join(ROOT, 'package-lock.json')));
  return hash.digest('hex').slice(0, 16);
}

const cached = new Map<string, Platform>();

/** The default configuration's cloud assembly, synthesized at most once per source state. */
export function platform(): Platform {
  return synthesizedOnce('default', () => platformConfig);
}

/** The multi-account example's cloud assembly (config/examples/multi-account.ts), synthesized at most once per source state. */
export function multiAccountPlatform(): Platform {
  return synthesizedOnce('multi-account', () => multiAccountConfig);
}

/**
 * A configuration from config/ (or fixtures) synthesized once per source state, shared by every test file and jest
 * worker. `name` tells configurations apart; the configuration must be defined under the hashed folders.
 */
function synthesizedOnce(name: string, config: () => PlatformConfig): Platform {
  const found = cached.get(name);
  if (found) return found;
  const base = join(tmpdir(), 'platform-infra-tests');
  mkdirSync(base, { recursive: true });
  const dir = join(base, `${name}-${sourceHash()}`);
  if (!existsSync(join(dir, 'manifest.json'))) {
    const scratch = mkdtempSync(join(base, 'synth-'));
    synthInfra(validatePlatformConfig(config()), { outdir: scratch, lambdaCodeDir: LAMBDA_FIXTURE, databaseRoleCodeDir: LAMBDA_FIXTURE });
    try {
      renameSync(scratch, dir);
    } catch {
      rmSync(scratch, { recursive: true, force: true }); // another worker won the race: same content
    }
  }
  const result = readPlatform(dir);
  cached.set(name, result);
  return result;
}

/** A synthesized cloud assembly in `dir`, its templates parsed on first use. */
export function readPlatform(dir: string): Platform {
  const templates = new Map<string, Template>();
  const jsons = new Map<string, Record<string, any>>();
  const json = (name: string) => {
    if (!jsons.has(name)) jsons.set(name, JSON.parse(readFileSync(join(dir, `${name}.template.json`), 'utf8')));
    return jsons.get(name)!;
  };
  return {
    dir,
    json,
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

/** A test configuration synthesized into a fresh directory: call once per test file (module level or beforeAll). */
export function synthesizeConfig(config: PlatformConfig, name: string): Platform {
  const dir = mkdtempSync(join(tmpdir(), `platform-${name}-`));
  synthInfra(validatePlatformConfig(config), { outdir: dir, lambdaCodeDir: LAMBDA_FIXTURE, databaseRoleCodeDir: LAMBDA_FIXTURE });
  return readPlatform(dir);
}
