/**
 * Where each stack lives: one account (account-agnostic, as deployed) or AWS's multi-account layout, a
 * shared-services account (sign-in, image registry, CI trust of the shared stacks) plus one account per environment.
 */
import { ACCOUNT_ID } from './check';
import type { EnvironmentConfig, PlatformConfig } from './types';

/** True when the environments (and the shared services) name their accounts. */
export function isMultiAccount(config: PlatformConfig): boolean {
  return config.sharedServicesAccount !== undefined || config.environments.some((env) => env.account !== undefined);
}

/**
 * The account rules, one message per problem: 12-digit IDs; every environment names an account or none does; the
 * shared-services account is named exactly when the environments are; a production environment's account is its
 * own. AWS's guidance is to isolate production in an account of its own, so a mistake or a compromise elsewhere
 * cannot reach it: sharing it is refused, not warned about (dev and staging may share an account).
 */
export function accountProblems(config: PlatformConfig): string[] {
  const problems: string[] = [];
  const shared = config.sharedServicesAccount;
  if (shared !== undefined && (typeof shared !== 'string' || !ACCOUNT_ID.test(shared))) {
    problems.push(`platform: sharedServicesAccount is ${JSON.stringify(shared)}; expected a 12-digit AWS account ID, or none for the single-account layout`);
  }
  const environments = config.environments ?? [];
  const named = environments.filter((env) => env.account !== undefined);
  if (named.length > 0 && named.length < environments.length) {
    const missing = environments.filter((env) => env.account === undefined).map((env) => `"${env.name}"`);
    problems.push(
      `platform: environments ${missing.join(', ')} name no account while ${named.map((env) => `"${env.name}"`).join(', ')} do; either every environment names its account (multi-account layout) or none does (single account)`,
    );
  }
  if (named.length > 0 && shared === undefined) {
    problems.push('platform: sharedServicesAccount is missing; the environments name accounts, so the shared services (Cognito, ECR, CI trust) need an account too');
  }
  if (named.length === 0 && shared !== undefined) {
    problems.push(
      `platform: sharedServicesAccount is "${shared}" but no environment names an account; name every environment's account, or remove sharedServicesAccount for the single-account layout`,
    );
  }
  for (const env of environments.filter((e) => e.production && e.account !== undefined)) {
    const sharers = environments.filter((other) => other !== env && other.account === env.account).map((other) => `"${other.name}"`);
    if (sharers.length > 0) {
      problems.push(
        `environment "${env.name}": account "${env.account}" is also the account of ${sharers.join(', ')}; a production environment needs an account of its own (AWS's multi-account guidance), so nothing done in another environment can reach it`,
      );
    }
    if (shared !== undefined && env.account === shared) {
      problems.push(
        `environment "${env.name}": account "${env.account}" is the sharedServicesAccount; a production environment needs an account of its own, apart from the shared services`,
      );
    }
  }
  return problems;
}

/**
 * The account of the shared stacks (identity, GitHub, shared-<region>): the shared-services account, or undefined
 * (account-agnostic) in the single-account layout.
 */
export function sharedAccount(config: PlatformConfig): string | undefined {
  return config.sharedServicesAccount;
}

/** The distinct environment accounts, in configuration order (empty in the single-account layout). */
export function environmentAccounts(config: PlatformConfig): string[] {
  return [...new Set(config.environments.map((env) => env.account).filter((a): a is string => a !== undefined))];
}

/** The environments whose stacks live in `account`. */
export function environmentsInAccount(config: PlatformConfig, account: string): EnvironmentConfig[] {
  return config.environments.filter((env) => env.account === account);
}

/**
 * True when the hosted zone (`dns`) is in another account than the environment's cluster: in the multi-account
 * layout the zone stays with the shared services, and each environment's external-dns changes its records through a
 * role of that account (EKS Pod Identity target role). The certificates' DNS validation records are added by hand
 * there (CloudFormation writes only into a zone of its own account).
 */
export function dnsZoneInAnotherAccount(config: PlatformConfig, env: EnvironmentConfig): boolean {
  return userPoolInAnotherAccount(config, env);
}

/**
 * True when the environment's ALB is in another account than the user pool: ALB `auth-type: cognito` needs the pool
 * in the ALB's own account and region, so such an ALB signs in through `auth-type: oidc` against the same pool.
 */
export function userPoolInAnotherAccount(config: PlatformConfig, env: EnvironmentConfig): boolean {
  return env.account !== undefined && config.sharedServicesAccount !== undefined && env.account !== config.sharedServicesAccount;
}
