import type { EnvironmentConfig, PlatformConfig } from '../config';
import { environmentStackName } from '../config';

/**
 * Deterministic physical names shared by stacks that must refer to each other without cross-stack references
 * (e.g. the GitHub deploy role in the shared stack grants access to an environment's cluster by name).
 */
export const names = {
  environmentStack: (config: PlatformConfig, env: EnvironmentConfig) => environmentStackName(config.project, env.name),
  identityStack: (config: PlatformConfig) => `${config.project}-identity`,
  regionalStack: (config: PlatformConfig, region: string) => `${config.project}-shared-${region}`,
  githubStack: (config: PlatformConfig) => `${config.project}-github`,
  /** Multi-account layout: the GitHub OIDC provider and deploy roles of the environments that share one account. */
  accountGithubStack: (config: PlatformConfig, envs: readonly EnvironmentConfig[]) => `${config.project}-github-${envs.map((e) => e.name).join('-')}`,
  /** Multi-account layout: the certificate and operations settings of one environment account in one region. */
  accountRegionalStack: (config: PlatformConfig, envs: readonly EnvironmentConfig[], region: string) => `${config.project}-${envs.map((e) => e.name).join('-')}-${region}`,
  cluster: (config: PlatformConfig, env: EnvironmentConfig) => `${config.project}-${env.name}`,
  /** Fixed RDS instance identifier: the engine's log groups are named after it and created first. */
  database: (config: PlatformConfig, env: EnvironmentConfig) => `${config.project}-${env.name}`,
  deployRole: (config: PlatformConfig, env: EnvironmentConfig) => `${config.project}-${env.name}-github-deploy`,
  imagePushRole: (config: PlatformConfig) => `${config.project}-github-image-push`,
  apiFunction: (config: PlatformConfig, env: EnvironmentConfig) => `${config.project}-${env.name}-api`,
  clientSecret: (config: PlatformConfig, env: EnvironmentConfig) => `${config.project}/${env.name}/alb-oidc-client`,
};

/** The region whose ECR repository CI pushes to: the first environment's region. Others receive replicas. */
export function primaryImageRegion(config: PlatformConfig): string {
  return config.environments[0].region;
}

/** Regions hosting at least one environment, in configuration order. */
export function environmentRegions(config: PlatformConfig): string[] {
  return [...new Set(config.environments.map((e) => e.region))];
}

/**
 * The GitHub OIDC `sub` claims a deploy role trusts. Every deploy job runs in a GitHub Environment named like the
 * environment, so GitHub issues `repo:<owner>/<repo>:environment:<name>`; which branch (or release tag) may
 * deploy to that GitHub Environment is enforced by its deployment protection rules.
 */
export function githubSubjects(config: PlatformConfig, env: EnvironmentConfig): string[] {
  return [`repo:${config.github.owner}/${config.github.repository}:environment:${env.name}`];
}

/**
 * The GitHub Environment in which the build-scan workflow pushes scanned images to ECR. Which branches and release
 * tags may push is enforced by that Environment's deployment protection rules, as for the deploy roles.
 */
export const IMAGE_PUSH_ENVIRONMENT = 'images';

/** The GitHub OIDC `sub` claims the image push role trusts. */
export function imagePushSubjects(config: PlatformConfig): string[] {
  return [`repo:${config.github.owner}/${config.github.repository}:environment:${IMAGE_PUSH_ENVIRONMENT}`];
}
