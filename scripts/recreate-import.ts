/**
 * `npm run recreate:import -- [--config <name>] --env <name>` prepares the first step of recreating a deleted
 * environment stack whose kept resources have fixed names (production: the log groups that EKS, RDS, Container
 * Insights, Lambda and CodeBuild name themselves). Creating the stack again would fail on them with "already exists";
 * instead CloudFormation's resource import adopts them into a new stack first ("Create a stack from existing
 * resources": a change set of type IMPORT), and the normal deploy then adds everything else and sets their key and
 * retention. Reads the last synth (`npm run synth`), writes `import-template.json` and `resources-to-import.json` into
 * `--out` (default `.recreate/<stack>/`) and prints the two commands to run. Runbook: docs/operations.md.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, environmentStackName, validatePlatformConfig } from '../config';
import { configurationFromArgs } from '../config/configurations';

/** A command line the script cannot run (exit 2); the message says what is allowed. */
export class UsageError extends Error {}

type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

/** The property holding the physical name (the import identifier), for each type that may outlive its stack. */
export const NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Backup::BackupVault': 'BackupVaultName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
  'AWS::ECR::Repository': 'RepositoryName',
};

export const isKept = (r: Resource) => r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'RetainExceptOnCreate';

/** The literal physical name of a resource (a string in the template, not computed at deploy time), if any. */
export function fixedName(r: Resource): string | undefined {
  const property = NAME_PROPERTY[r.Type];
  const value = property ? r.Properties?.[property] : undefined;
  return typeof value === 'string' ? value : undefined;
}

export interface ImportPlan {
  /** Only the kept fixed-name resources, with their name and policies: nothing they reference exists yet. */
  readonly template: { Resources: Record<string, Resource> };
  readonly resourcesToImport: { ResourceType: string; LogicalResourceId: string; ResourceIdentifier: Record<string, string> }[];
}

/** The resources of `template` a delete keeps under a fixed name, as an import change set adopts them. */
export function importPlan(template: { Resources: Record<string, Resource> }): ImportPlan {
  const kept = Object.entries(template.Resources).filter(([, r]) => isKept(r) && fixedName(r) !== undefined);
  return {
    template: {
      Resources: Object.fromEntries(
        kept.map(([id, r]) => [
          id,
          { Type: r.Type, DeletionPolicy: r.DeletionPolicy, UpdateReplacePolicy: r.UpdateReplacePolicy, Properties: { [NAME_PROPERTY[r.Type]]: fixedName(r) } },
        ]),
      ),
    },
    resourcesToImport: kept.map(([id, r]) => ({ ResourceType: r.Type, LogicalResourceId: id, ResourceIdentifier: { [NAME_PROPERTY[r.Type]]: fixedName(r)! } })),
  };
}

/** Writes the plan for one environment; returns the lines to print. */
export function writeImportPlan(argv: readonly string[], repoRoot: string): string[] {
  const selected = configurationFromArgs(argv);
  const config = validatePlatformConfig(selected.config);
  let values;
  try {
    values = parseArgs({ args: selected.rest, strict: true, allowPositionals: false, options: { env: { type: 'string' }, out: { type: 'string' } } }).values;
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nUsage: npm run recreate:import -- [--config <name>] --env <name> [--out <dir>]`);
  }
  const env = config.environments.find((e) => e.name === values.env);
  if (!env) throw new UsageError(`unknown environment ${JSON.stringify(values.env)}; allowed: ${config.environments.map((e) => `"${e.name}"`).join(', ')}`);
  const stack = environmentStackName(config.project, env.name);
  const outdir = selected.name === 'default' ? 'cdk.out' : `cdk.out.${selected.name}`;
  const templateFile = join(repoRoot, outdir, `${stack}.template.json`);
  if (!existsSync(templateFile)) throw new UsageError(`${templateFile} is missing; run "npm run synth${selected.name === 'default' ? '' : ` -- --config ${selected.name}`}" first`);
  const plan = importPlan(JSON.parse(readFileSync(templateFile, 'utf8')));
  if (plan.resourcesToImport.length === 0) return [`${stack}: no kept resource has a fixed name; deploy it again as usual`];
  const dir = values.out ?? join(repoRoot, '.recreate', stack);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'import-template.json'), `${JSON.stringify(plan.template, null, 2)}\n`);
  writeFileSync(join(dir, 'resources-to-import.json'), `${JSON.stringify(plan.resourcesToImport, null, 2)}\n`);
  return [
    `${stack}: ${plan.resourcesToImport.length} kept resources with fixed names (${plan.resourcesToImport.map((r) => r.ResourceIdentifier[NAME_PROPERTY[r.ResourceType]]).join(', ')})`,
    `aws cloudformation create-change-set --region ${env.region} --stack-name ${stack} --change-set-name adopt-kept --change-set-type IMPORT --template-body file://${join(dir, 'import-template.json')} --resources-to-import file://${join(dir, 'resources-to-import.json')}`,
    `aws cloudformation execute-change-set --region ${env.region} --stack-name ${stack} --change-set-name adopt-kept   # then deploy as usual (npm run deploy:stacks)`,
  ];
}

function main(): number {
  try {
    for (const line of writeImportPlan(process.argv.slice(2), process.cwd())) process.stdout.write(`${line}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      process.stderr.write(`recreate:import: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) process.exitCode = main();
