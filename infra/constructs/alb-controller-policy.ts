/**
 * The AWS Load Balancer Controller's IAM policy, kept in this repository (infra/policies/aws-load-balancer-controller/):
 *
 * - `upstream-<version>.json`: the controller's reference policy, verbatim (docs/install/iam_policy.json of the
 *   release, as aws-cdk-lib ships it), so an upgrade is a reviewable diff;
 * - `iam-policy.json`: what the controller's role gets. The same actions, with the upstream conditions narrowed from
 *   "has an elbv2.k8s.aws/cluster tag" (any cluster) to "tagged for this cluster", resources limited to this
 *   region, account and VPC, and RegisterTargets/DeregisterTargets limited to this cluster's target groups.
 *
 * Every statement with a write action carries a condition, or a reason below why it cannot (tested).
 */
import { type Stack, Token } from 'aws-cdk-lib';
// Bundled by esbuild and resolved by TypeScript alike: no file read at synth time, whatever the working directory.
import reviewedPolicy from '../policies/aws-load-balancer-controller/iam-policy.json';

/** The controller release whose policy this is (the Helm chart version matches it: cluster.ts). */
export const ALB_CONTROLLER_POLICY_VERSION = 'v3.2.2';
/** Where upstream publishes it. */
export const ALB_CONTROLLER_POLICY_SOURCE = `https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/${ALB_CONTROLLER_POLICY_VERSION}/docs/install/iam_policy.json`;
/** SHA-256 of the upstream file as copied (a changed copy fails the tests until this is reviewed). */
export const ALB_CONTROLLER_UPSTREAM_SHA256 = '16f232c9d9f79366fe949c4550ad517a202380058a9e48d45a4e215044a20a6a';

/** Statements with write actions and no condition, each with the reason (by Sid). */
export const UNCONDITIONED_WRITE_REASONS: Readonly<Record<string, string>> = {
  AuthenticationAndProtection:
    'WAF/Shield association and Cognito/ACM reads for annotations an Ingress may set; WAF ACL and protection ARNs are chosen by the Ingress author, so no resource or tag scoping is possible (upstream keeps "*")',
  CreateSecurityGroup:
    'Creating a security group cannot be conditioned on a tag the controller adds in the same call; limited to this VPC, and every later change (rules, tags, deletion) requires the cluster tag',
  ListenersAndRules:
    'Listeners and rules of load balancers created before tag-on-create are untagged; limited to this region and account, and load balancers themselves can only be created and changed with the cluster tag',
  TagListenersAndRules: 'Tags on listeners and rules (their only write here), limited to this region and account; load balancers and target groups need the cluster tag',
  ListenerSettings: 'Certificates, rule priorities and WAF on listeners, which may be untagged (created before tag-on-create); limited to this region and account',
};

export interface AlbPolicyContext {
  readonly clusterName: string;
  readonly vpcId: string;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** The reviewed policy with `${ClusterName}`, `${VpcId}`, `${Partition}`, `${Region}`, `${Account}` filled in. */
export function albControllerPolicyDocument(context: AlbPolicyContext): Record<string, unknown> {
  const values: Record<string, string> = {
    ClusterName: context.clusterName,
    VpcId: context.vpcId,
    Partition: context.partition,
    Region: context.region,
    Account: context.account,
  };
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') {
      return value.replace(/\$\{(\w+)\}/g, (whole, name: string) => {
        if (!(name in values))
          throw new Error(
            `iam-policy.json: unknown placeholder ${whole}; allowed: ${Object.keys(values)
              .map((k) => `\${${k}}`)
              .join(', ')}`,
          );
        return values[name];
      });
    }
    if (Array.isArray(value)) return value.map(fill);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [fill(k) as string, fill(v)]));
    return value;
  };
  return fill(reviewedPolicy) as Record<string, unknown>;
}

/** Fills the document for a stack (its partition, region, account: tokens in an account-agnostic stack). */
export function albControllerPolicyFor(stack: Stack, clusterName: string, vpcId: string): Record<string, unknown> {
  return albControllerPolicyDocument({ clusterName, vpcId, partition: stack.partition, region: stack.region, account: stack.account });
}

/** The wildcard resources as cdk-nag names them in AwsSolutions-IAM5 findings (pseudo parameters as <AWS::…>). */
export function albControllerWildcardResources(stack: Stack): string[] {
  const nag = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
  const document = albControllerPolicyDocument({
    clusterName: 'unused',
    vpcId: 'unused',
    partition: nag(stack.partition, 'Partition'),
    region: nag(stack.region, 'Region'),
    account: nag(stack.account, 'AccountId'),
  });
  const statements = document.Statement as { Resource: string | string[] }[];
  return [...new Set(statements.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource])).filter((r) => r.includes('*')))];
}
