import { platformConfig } from '../platform';
import type { PlatformConfig } from '../types';

/**
 * The example of AWS's multi-account layout: the default platform with one account per environment and a
 * shared-services account (Cognito sign-in, the ECR repository and its replicas, the image push role, the shared
 * stacks' deploy role). `npm run synth -- --config multi-account` synthesizes it into cdk.out.multi-account/.
 *
 * The account IDs are placeholders (AWS documentation style): replace them with your organisation's accounts. Every
 * other setting is the default configuration's, so the two layouts differ only where accounts matter.
 */
export const MULTI_ACCOUNT_EXAMPLE_ACCOUNTS = {
  shared: '111122223333',
  dev: '222233334444',
  staging: '333344445555',
  prod: '444455556666',
} as const;

/**
 * The cluster-admin principal of an environment account: the role IAM Identity Center creates there for a permission
 * set (a placeholder suffix: copy the real ARN from IAM, path included).
 */
export function identityCenterAdminRoleArn(account: string): string {
  return `arn:aws:iam::${account}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_PlatformAdmin_0123456789abcdef`;
}

export const multiAccountConfig: PlatformConfig = {
  ...platformConfig,
  sharedServicesAccount: MULTI_ACCOUNT_EXAMPLE_ACCOUNTS.shared,
  environments: platformConfig.environments.map((env) => {
    const account = MULTI_ACCOUNT_EXAMPLE_ACCOUNTS[env.name as keyof typeof MULTI_ACCOUNT_EXAMPLE_ACCOUNTS];
    return { ...env, account, cluster: { ...env.cluster, adminPrincipalArn: identityCenterAdminRoleArn(account) } };
  }),
};
