/**
 * The AWS Load Balancer Controller policy kept in infra/policies/: the upstream copy is the recorded version,
 * our policy grants exactly upstream's actions (the controller keeps working, nothing is added), every statement
 * with a write action carries a condition or a recorded reason, and the tag conditions name this cluster.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformConfig } from '../../../config';
import {
  ALB_CONTROLLER_POLICY_SOURCE,
  ALB_CONTROLLER_POLICY_VERSION,
  ALB_CONTROLLER_UPSTREAM_SHA256,
  albControllerPolicyDocument,
  UNCONDITIONED_WRITE_REASONS,
} from '../../../infra/constructs/alb-controller-policy';
import { ALB_CONTROLLER_CHART_VERSION } from '../../../infra/constructs/cluster';
import { platform, resourcesOfType, ROOT } from '../helpers';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

const DIR = join(ROOT, 'infra', 'policies', 'aws-load-balancer-controller');
const upstreamFile = join(DIR, `upstream-${ALB_CONTROLLER_POLICY_VERSION}.json`);
const upstream = JSON.parse(readFileSync(upstreamFile, 'utf8')) as { Statement: Statement[] };
const context = { clusterName: 'platform-dev', vpcId: 'vpc-0123456789abcdef0', partition: 'aws', region: 'eu-west-1', account: '123456789012' };
const ours = albControllerPolicyDocument(context) as unknown as { Statement: Statement[] };

const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);
const actionsOf = (statements: Statement[]) => statements.flatMap((s) => list(s.Action)).sort();
/** Reads (Describe*, Get*, List*) change nothing; everything else is a write. */
const isWrite = (action: string) => !/^[a-z0-9-]+:(Describe|Get|List)/.test(action);

describe('AWS Load Balancer Controller policy', () => {
  test('the upstream copy is the recorded version, unchanged, and matches the Helm chart', () => {
    expect(createHash('sha256').update(readFileSync(upstreamFile)).digest('hex')).toBe(ALB_CONTROLLER_UPSTREAM_SHA256);
    expect(ALB_CONTROLLER_POLICY_SOURCE).toContain(`/${ALB_CONTROLLER_POLICY_VERSION}/docs/install/iam_policy.json`);
    expect(`v${ALB_CONTROLLER_CHART_VERSION}`).toBe(ALB_CONTROLLER_POLICY_VERSION);
  });

  test('grants exactly the upstream actions (none lost, none added)', () => {
    expect(actionsOf(ours.Statement)).toEqual(actionsOf(upstream.Statement));
    expect(ours.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  test('every statement with a write action carries a condition or a recorded reason', () => {
    const sids = ours.Statement.map((s) => s.Sid);
    expect(new Set(sids).size).toBe(sids.length);
    for (const statement of ours.Statement) {
      const writes = list(statement.Action).filter(isWrite);
      if (writes.length === 0) continue;
      const conditioned = statement.Condition !== undefined && Object.keys(statement.Condition).length > 0;
      const reason = UNCONDITIONED_WRITE_REASONS[statement.Sid ?? ''];
      expect({ sid: statement.Sid, writes, covered: conditioned || (reason !== undefined && reason.length > 40) }).toMatchObject({ covered: true });
    }
    // A reason only where no condition is: a stale reason would hide a dropped condition.
    for (const sid of Object.keys(UNCONDITIONED_WRITE_REASONS)) {
      const statement = ours.Statement.find((s) => s.Sid === sid);
      expect({ sid, exists: Boolean(statement), conditioned: Boolean(statement?.Condition) }).toEqual({ sid, exists: true, conditioned: false });
    }
  });

  test('tag conditions name this cluster, never just "has a cluster tag"', () => {
    const text = JSON.stringify(ours);
    expect(text).not.toMatch(/"Null":\{[^}]*"aws:(Resource|Request)Tag\/elbv2\.k8s\.aws\/cluster":"false"/);
    const owning = ours.Statement.filter((s) => JSON.stringify(s.Condition ?? {}).includes('elbv2.k8s.aws/cluster'));
    expect(owning.length).toBeGreaterThanOrEqual(7);
    for (const statement of owning) {
      const equals = { ...statement.Condition?.StringEquals };
      const tags = Object.entries(equals).filter(([key]) => key.endsWith('Tag/elbv2.k8s.aws/cluster'));
      expect({ sid: statement.Sid, tags }).toEqual({ sid: statement.Sid, tags: [[expect.any(String), 'platform-dev']] });
    }
    // Register/Deregister targets (unconditioned upstream): only this cluster's target groups.
    const targets = ours.Statement.find((s) => list(s.Action).includes('elasticloadbalancing:RegisterTargets'))!;
    expect(targets.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'platform-dev' } });
    // Security group rules on groups it does not own: this VPC's only.
    const rules = ours.Statement.find((s) => s.Sid === 'TargetSecurityGroupRules')!;
    expect(rules.Condition).toEqual({ ArnEquals: { 'ec2:Vpc': 'arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0123456789abcdef0' } });
  });

  test("resources are limited to this region and account (no other region's or account's load balancers)", () => {
    for (const statement of ours.Statement) {
      for (const resource of list(statement.Resource)) {
        if (resource === '*') continue;
        expect(resource).toMatch(/^arn:aws:(ec2|elasticloadbalancing):eu-west-1:123456789012:/);
      }
    }
  });

  test.each(platformConfig.environments.map((e) => e.name))('%s: the controller role gets this policy with its own cluster name', (name) => {
    const json = platform().json(`${platformConfig.project}-${name}`);
    const [, policy] = resourcesOfType(json, 'AWS::IAM::Policy').find(([id]) => id.startsWith('EksAlbControllerPolicy'))!;
    const statements = policy.Properties.PolicyDocument.Statement as Statement[];
    expect(statements.map((s) => s.Sid)).toEqual(ours.Statement.map((s) => s.Sid));
    const targets = statements.find((s) => s.Sid === 'OwnTargets')!;
    expect(targets.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': `${platformConfig.project}-${name}` } });
  });
});
