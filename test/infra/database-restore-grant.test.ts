/**
 * The workload's IAM database login after a restore (issue 23, item 5): `rds-db:connect` names
 * `dbuser:<DbiResourceId>/<user>`, and a restored instance has a new DbiResourceId. Every environment template's
 * grant reads the stack parameter RestoredDatabaseResourceId (written by `npm run restore:db -- --switch`,
 * test/scripts/restore-db.test.ts) and falls back to the stack's own instance: evaluated here for both values, it is
 * always exactly one user of one instance, in the stack's own account and region: for each workload with database
 * access, its own user.
 */
import { databaseRoleName, environmentStackName, pascalCase, platformConfig } from '../../config';
import { RESTORED_DATABASE_PARAMETER } from '../../infra/names';
import { platform, resourcesOfType } from './helpers';

type Json = Record<string, any>;

/** Resolves the intrinsics a grant uses, with the given parameter values; a GetAtt/pseudo parameter becomes `<...>`. */
function evaluate(template: Json, node: unknown, parameters: Record<string, string>): unknown {
  if (Array.isArray(node)) return node.map((n) => evaluate(template, n, parameters));
  if (typeof node !== 'object' || node === null) return node;
  const [key, value] = Object.entries(node)[0] ?? [];
  const ev = (n: unknown) => evaluate(template, n, parameters);
  switch (key) {
    case 'Ref':
      return (value as string) in parameters ? parameters[value as string] : `<${value}>`;
    case 'Fn::GetAtt':
      return `<${(value as string[]).join('.')}>`;
    case 'Fn::Join':
      return (ev(value[1]) as string[]).join(value[0]);
    case 'Fn::If':
      return condition(template, value[0], parameters) ? ev(value[1]) : ev(value[2]);
    default:
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, ev(v)]));
  }
}

function condition(template: Json, name: string, parameters: Record<string, string>): boolean {
  const check = (c: any): boolean => {
    if (c['Fn::Not']) return !check(c['Fn::Not'][0]);
    if (c['Fn::Equals']) {
      const [a, b] = c['Fn::Equals'].map((x: unknown) => evaluate(template, x, parameters));
      return a === b;
    }
    if (c.Condition) return condition(template, c.Condition, parameters);
    throw new Error(`unsupported condition ${JSON.stringify(c)}`);
  };
  return check(template.Conditions[name]);
}

const stacks = platformConfig.environments.map((e) => [e.name, environmentStackName(platformConfig.project, e.name), e.region, e.workloads] as const);

describe.each(stacks)('%s', (_name, stackName, region, workloads) => {
  // The stack's own account (account-agnostic here) and region.
  const prefix = `arn:<AWS::Partition>:rds-db:${region}:<AWS::AccountId>`;
  const template = () => platform().json(stackName);
  const grant = (workload: string, parameters: Record<string, string>) => {
    const [, policy] = resourcesOfType(template(), 'AWS::IAM::Policy').find(([id]) => id.startsWith(`${pascalCase(workload)}PodPolicy`))!;
    const login = (policy.Properties.PolicyDocument.Statement as Json[]).filter((s) => ([] as string[]).concat(s.Action).includes('rds-db:connect'));
    expect(login).toHaveLength(1);
    return evaluate(template(), login[0].Resource, parameters);
  };
  const withDatabase = workloads.filter((w) => w.database !== undefined).map((w) => w.name);

  test('the parameter exists, empty by default, and takes only a DbiResourceId', () => {
    const parameter = template().Parameters[RESTORED_DATABASE_PARAMETER];
    expect(parameter).toMatchObject({ Type: 'String', Default: '' });
    const pattern = new RegExp(parameter.AllowedPattern);
    expect(['', 'db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U'].every((v) => pattern.test(v))).toBe(true);
    expect(['*', 'db-*', 'db-ABC/other', 'arn:aws:rds:x'].some((v) => pattern.test(v))).toBe(false);
  });

  test('the sample declares several workloads with database access', () => {
    expect(withDatabase).toEqual(['web', 'worker', 'prune']);
  });

  test.each(withDatabase)("without a restore, %s's grant names the stack's own instance and its own user only", (workload) => {
    expect(grant(workload, { [RESTORED_DATABASE_PARAMETER]: '' })).toBe(`${prefix}:dbuser:<Database.DbiResourceId>/${databaseRoleName(workload)}`);
  });

  test.each(withDatabase)("after `restore:db --switch`, %s's grant names the restored instance (from the parameter), still its own user only", (workload) => {
    expect(grant(workload, { [RESTORED_DATABASE_PARAMETER]: 'db-RESTORED0123456789ABCDEFGH' })).toBe(
      `${prefix}:dbuser:db-RESTORED0123456789ABCDEFGH/${databaseRoleName(workload)}`,
    );
  });
});
