/**
 * No policy in any template lets the workload read the database's master secret, in every environment.
 *
 * "The workload" is every role a pod can act as: the Pod Identity roles (trust pods.eks.amazonaws.com: the web
 * service and the load balancer controller) and the node roles (trust ec2.amazonaws.com: a pod that reached the
 * instance metadata service). Every policy attached to them (inline, AWS::IAM::Policy, managed) is read, and any
 * statement allowing secretsmanager:GetSecretValue (also through wildcards such as secretsmanager:Get* or *) fails
 * the test, whatever its resource. No resource policy on a secret grants anything instead.
 * Positive control: the same matcher does find the bootstrap function's grant on the master secret.
 */
import { platformConfig } from '../../config';
import { platform, resourcesOfType } from './helpers';

interface Statement {
  Effect: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
}

const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Whether an IAM action pattern (case-insensitive, `*` and `?` wildcards) covers the action. */
function covers(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return regex.test(action);
}

function allowsSecretRead(statement: Statement): boolean {
  if (statement.Effect !== 'Allow') return false;
  if (statement.NotAction !== undefined) return !list(statement.NotAction).some((p) => covers(p, 'secretsmanager:GetSecretValue'));
  return list(statement.Action).some((p) => covers(p, 'secretsmanager:GetSecretValue'));
}

const refOf = (value: unknown): string | undefined => (value as { Ref?: string })?.Ref;

/** Every statement that applies to a role: its inline policies, AWS::IAM::Policy and ManagedPolicy resources naming it. */
function statementsOf(json: Record<string, any>, roleId: string): Statement[] {
  const role = json.Resources[roleId];
  const inline = list(role.Properties.Policies).flatMap((p: any) => list(p.PolicyDocument.Statement));
  const attached = [...resourcesOfType(json, 'AWS::IAM::Policy'), ...resourcesOfType(json, 'AWS::IAM::ManagedPolicy')]
    .filter(([, p]) => list(p.Properties.Roles).some((r) => refOf(r) === roleId))
    .flatMap(([, p]) => list(p.Properties.PolicyDocument.Statement));
  // Managed policies by ARN: only AWS-managed ones occur here; none of them may be a secrets reader either.
  const managed = list(role.Properties.ManagedPolicyArns).map((arn) => JSON.stringify(arn));
  for (const arn of managed) expect({ roleId, arn, secretsPolicy: /SecretsManager|ReadWrite|AdministratorAccess|PowerUser/i.test(arn) }).toMatchObject({ secretsPolicy: false });
  return [...inline, ...attached] as Statement[];
}

function workloadRoles(json: Record<string, any>): string[] {
  return resourcesOfType(json, 'AWS::IAM::Role')
    .filter(([, r]) => /pods\.eks\.amazonaws\.com|ec2\.amazonaws\.com/.test(JSON.stringify(r.Properties.AssumeRolePolicyDocument)))
    .map(([id]) => id);
}

describe("the master database secret is out of the workload's reach", () => {
  const p = platform();

  test.each(platformConfig.environments.map((e) => e.name))('%s: no pod or node role may read any secret', (name) => {
    const json = p.json(`${platformConfig.project}-${name}`);
    const roles = workloadRoles(json);
    // The web service, the load balancer controller, the managed nodes.
    expect(roles.length).toBeGreaterThanOrEqual(3);
    expect(roles.some((id) => id.startsWith('WebPodRole'))).toBe(true);
    for (const roleId of roles) {
      const readers = statementsOf(json, roleId).filter(allowsSecretRead);
      expect({ roleId, readers }).toEqual({ roleId, readers: [] });
    }
    // Resource policies on secrets grant nothing (the one RDS adds only denies deletion).
    for (const [id, policy] of resourcesOfType(json, 'AWS::SecretsManager::ResourcePolicy')) {
      const grants = list(policy.Properties.ResourcePolicy.Statement as Statement[]).filter((s) => s.Effect === 'Allow');
      expect({ id, grants }).toEqual({ id, grants: [] });
    }
  });

  test.each(platformConfig.environments.map((e) => e.name))('%s: only the role bootstrap function reads the master secret (positive control)', (name) => {
    const json = p.json(`${platformConfig.project}-${name}`);
    const readers = resourcesOfType(json, 'AWS::IAM::Role')
      .filter(([id]) => statementsOf(json, id).some(allowsSecretRead))
      .map(([id]) => id);
    expect(readers).toHaveLength(1);
    expect(readers[0]).toMatch(/^DatabaseRoleFunctionRole/);
  });

  test('the matcher sees wildcards and NotAction', () => {
    expect(allowsSecretRead({ Effect: 'Allow', Action: 'secretsmanager:Get*' })).toBe(true);
    expect(allowsSecretRead({ Effect: 'Allow', Action: '*' })).toBe(true);
    expect(allowsSecretRead({ Effect: 'Allow', Action: 'SecretsManager:GetSecretValue' })).toBe(true);
    expect(allowsSecretRead({ Effect: 'Allow', NotAction: 's3:*' })).toBe(true);
    expect(allowsSecretRead({ Effect: 'Deny', Action: '*' })).toBe(false);
    expect(allowsSecretRead({ Effect: 'Allow', Action: ['secretsmanager:DescribeSecret', 'rds-db:connect'] })).toBe(false);
  });
});
