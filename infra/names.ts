import type { EnvironmentConfig, PlatformConfig } from '../config';
import { environmentStackName, isMultiAccount } from '../config';

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
  sharedDeployRole: (config: PlatformConfig) => `${config.project}-github-shared-deploy`,
  apiFunction: (config: PlatformConfig, env: EnvironmentConfig) => `${config.project}-${env.name}-api`,
  /** The GitHub Actions runner of one environment (deployed after the environment stack, by a hosted job). */
  runnerStack: (config: PlatformConfig, env: EnvironmentConfig) => `${config.project}-${env.name}-runner`,
  /** CodeBuild project of the environment's CI runner (GitHub Actions `runs-on: codebuild-<this>-<run id>-<attempt>`). */
  runnerProject: (config: PlatformConfig, env: EnvironmentConfig) => `${config.project}-${env.name}-runner`,
  clientSecret: (config: PlatformConfig, env: EnvironmentConfig) => `${config.project}/${env.name}/alb-oidc-client`,
  /** Multi-account layout: external-dns's Pod Identity role in the environment account (the records role trusts it by name). */
  externalDnsRole: (config: PlatformConfig, env: EnvironmentConfig) => `${config.project}-${env.name}-external-dns`,
  /** Multi-account layout: the role in the hosted zone's account that changes one environment's records. */
  dnsRecordsRole: (config: PlatformConfig, env: EnvironmentConfig) => `${config.project}-${env.name}-dns-records`,
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

/**
 * The GitHub Environment in which deploy-shared.yml deploys the shared stacks (identity, GitHub, shared-<region>), one
 * run at a time. Its deployment rules name the branches and release tags that may deploy, as for "images".
 */
export const SHARED_DEPLOY_ENVIRONMENT = 'shared';

/** The GitHub OIDC `sub` claims the shared-stacks deploy role trusts. */
export function sharedDeploySubjects(config: PlatformConfig): string[] {
  return [`repo:${config.github.owner}/${config.github.repository}:environment:${SHARED_DEPLOY_ENVIRONMENT}`];
}

/** The shared stacks: what deploy-shared.yml deploys, before (and never together with) any environment stack. */
export function sharedStackNames(config: PlatformConfig): string[] {
  return [names.identityStack(config), names.githubStack(config), ...environmentRegions(config).map((region) => names.regionalStack(config, region))];
}

/**
 * Multi-account layout: the stacks of an environment's account and region besides its own (its account's GitHub OIDC
 * provider and deploy role, its certificate and operations settings), which its delivery deploys with its own deploy
 * role, the only role of that account a workflow may assume. A stack shared by several environments of one account
 * (an account's GitHub stack) goes with the environments of the stack's region: a deploy role may only use its own
 * region's bootstrap roles. Empty in the single-account layout. Mirrors the stacks infra/app.ts creates
 * (test/infra/delivery-stacks.test.ts compares them).
 */
export function environmentAccountStackNames(config: PlatformConfig, env: EnvironmentConfig): string[] {
  if (!env.account || !isMultiAccount(config)) return [];
  const sameAccount = config.environments.filter((e) => e.account === env.account);
  const stacks: string[] = [];
  // infra/app.ts puts an account's GitHub stack in the region of its first environment.
  if (env.account !== config.sharedServicesAccount && sameAccount[0].region === env.region) stacks.push(names.accountGithubStack(config, sameAccount));
  stacks.push(
    names.accountRegionalStack(
      config,
      sameAccount.filter((e) => e.region === env.region),
      env.region,
    ),
  );
  return stacks;
}

/**
 * What an environment's delivery deploys (`cdk deploy --exclusively`, with the environment's deploy role): its
 * account's stacks (multi-account layout), its own stack, then its GitHub Actions runner's stack (which needs the
 * environment's VPC), unless `withRunner` is false (the other CI systems bring their own runners). The shared stacks
 * are deploy-shared.yml's.
 */
export function environmentDeliveryStackNames(config: PlatformConfig, env: EnvironmentConfig, withRunner = true): string[] {
  return [...environmentAccountStackNames(config, env), names.environmentStack(config, env), ...(withRunner ? [names.runnerStack(config, env)] : [])];
}

/**
 * Parameter of every environment stack that `npm run deploy:stacks` sets to a new value on each run: it changes the
 * shared-values relay, so CloudFormation re-reads the shared stacks' outputs (a replaced certificate or app client)
 * even when nothing else in the template changed (`cdk deploy` skips an unchanged stack otherwise).
 */
export const SHARED_VALUES_NONCE = 'SharedValuesNonce';

/**
 * The stacks with protections that would keep a failed first create from rolling back: the identity stack (the user
 * pool's deletion protection, when an environment is production) and each production environment's stack
 * (termination protection, the database's deletion protection). infra/app.ts drops them for the stacks named in
 * its `creating` option; test/scripts/deploy-stacks.test.ts compares this list with the app.
 */
export function protectedStacks(config: PlatformConfig): { name: string; region: string }[] {
  const production = config.environments.filter((env) => env.production);
  if (production.length === 0) return [];
  return [{ name: names.identityStack(config), region: config.identity.region }, ...production.map((env) => ({ name: names.environmentStack(config, env), region: env.region }))];
}

/** The audience every CI system's OIDC token is requested for (GitLab `id_tokens.aud`; GitHub's default). */
export const STS_AUDIENCE = 'sts.amazonaws.com';

/**
 * The GitLab OIDC `sub` claims a role trusts, split into exact values and globs (release tags). GitLab issues
 * `project_path:<group>/<project>:ref_type:<branch|tag>:ref:<name>`; which refs are protected (who may push them, who
 * may run the protected environment's job) is GitLab's side.
 */
export interface SubjectMatch {
  /** Exact `sub` values (StringEquals). */
  readonly exact: string[];
  /** `sub` globs (StringLike): only where the CI system puts a run-specific part in `sub`, or for release tags. */
  readonly like: string[];
}

function gitlabRef(config: PlatformConfig, env: EnvironmentConfig): SubjectMatch {
  const project = `project_path:${config.delivery!.gitlab!.projectPath}`;
  return env.deployFrom.kind === 'branch'
    ? { exact: [`${project}:ref_type:branch:ref:${env.deployFrom.branch}`], like: [] }
    : { exact: [], like: [`${project}:ref_type:tag:ref:${config.delivery!.releaseTagPattern}`] };
}

/** GitLab subjects of an environment's deploy role: its branch, or the release tags. */
export function gitlabSubjects(config: PlatformConfig, env: EnvironmentConfig): SubjectMatch {
  return gitlabRef(config, env);
}

/** GitLab subjects of the image push role: every environment's branch or release tags (pushes happen before each deploy). */
export function gitlabImagePushSubjects(config: PlatformConfig): SubjectMatch {
  const all = config.environments.map((env) => gitlabRef(config, env));
  return { exact: [...new Set(all.flatMap((s) => s.exact))], like: [...new Set(all.flatMap((s) => s.like))] };
}

/**
 * Bitbucket subjects of the role of one deployment environment (an environment's name, or "images"): a deployment
 * step's `sub` is `<repositoryUuid><deploymentEnvironmentUuid>:<stepUuid>`, and the step UUID differs on every run,
 * so the exact repository and environment are followed by a glob for the step only. None without the environment's UUID.
 */
export function bitbucketSubjects(config: PlatformConfig, deploymentEnvironment: string): SubjectMatch {
  const b = config.delivery!.bitbucket!;
  const uuid = b.deploymentEnvironmentUuids[deploymentEnvironment];
  return { exact: [], like: uuid ? [`${b.repositoryUuid}${uuid}:*`] : [] };
}

/** The Bitbucket OIDC issuer host path of a workspace (also the IAM condition-key prefix). */
export function bitbucketIssuer(workspace: string): string {
  return `api.bitbucket.org/2.0/workspaces/${workspace}/pipelines-config/identity/oidc`;
}

/** The Bitbucket OIDC audience of a workspace: `ari:cloud:bitbucket::workspace/<uuid without braces>`. */
export function bitbucketAudience(workspaceUuid: string): string {
  return `ari:cloud:bitbucket::workspace/${workspaceUuid.replace(/^\{|\}$/g, '')}`;
}

/**
 * Logical ID of the environment stack's parameter holding the DbiResourceId of a database restored into the stack's
 * place (`npm run restore:db -- --switch`); empty: the stack's own instance. The workload's `rds-db:connect` grant
 * names that resource ID (infra/constructs/database.ts `Database.resourceId`).
 */
export const RESTORED_DATABASE_PARAMETER = 'RestoredDatabaseResourceId';
