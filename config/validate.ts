import { accountProblems } from './accounts';
import { instanceArchitecture, nodeArchitectures } from './architecture';
import { ALL_CONTROL_PLANE_LOG_TYPES } from './costs';
import { ACCOUNT_ID, Checker, DNS_LABEL, HOSTNAME, parseCidr } from './check';
import { CLUSTER_KEYS, DATA_RETENTION_KEYS, DATABASE_KEYS, ENVIRONMENT_KEYS, PLATFORM_KEYS, PORTABLE_TARGET_KEYS } from './keys';
import { loadBalancerName, MAX_LOAD_BALANCER_NAME_LENGTH } from './outputs';
import { validateOperations } from './operations';
import { SUPPORTED_KUBERNETES_VERSIONS } from './kubernetes';
import type { EnvironmentConfig, PlatformConfig, PortableTargetConfig } from './types';
import { releaseStrategyProblems } from './release';
import { validateImages, validateWorkloads } from './validate-workloads';
import { publicHosts } from './workloads';

export { parseCidr } from './check';

/** Invalid platform configuration. `problems` lists every rule that failed, each naming where, what and what is allowed. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid platform configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export { SUPPORTED_KUBERNETES_VERSIONS } from './kubernetes';

const ENV_NAME = /^[a-z][a-z0-9]{0,11}$/;
const GIT_BRANCH = /^(?!\/|.*\/\/|.*\.\.|.*\/$)[A-Za-z0-9._/-]{1,100}$/;
const GITHUB_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98})$/;
const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** An IAM role or user ARN, path included (IAM: path segments of [\w+=,.@-], a name of 1-64 of them). */
export const IAM_PRINCIPAL_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:(?:role|user)\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
/** Availability zones of every environment's VPC (infra/constructs/network.ts uses this value). */
export const VPC_AZS = 2;

/**
 * Checks the whole configuration and throws one `ConfigError` listing every problem.
 * Each message names the environment (or section), the field, the value received and what is allowed.
 */
export function validatePlatformConfig(config: PlatformConfig): PlatformConfig {
  const problems: string[] = [];
  const check = new Checker(problems);

  check.knownKeys('platform', '', config, PLATFORM_KEYS);
  check.matches('platform', 'project', config.project, DNS_LABEL, 'a lowercase DNS label such as "platform"');
  validateSharedServices(config, check, problems);
  validateImages(config.images, check);
  const imageNames = (Array.isArray(config.images) ? config.images : []).map((i) => i?.name);

  validateCertificates(config, check, problems);
  validateEnvironments(config, imageNames, check, problems);
  validatePortableTargets(config, imageNames, check, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The shared services' sections: GitHub, delivery, DNS, identity. */
function validateSharedServices(config: PlatformConfig, check: Checker, problems: string[]): void {
  if (check.present('platform', 'github', config.github)) {
    check.matches('platform', 'github.owner', config.github.owner, GITHUB_NAME, 'a GitHub user or organisation name');
    check.matches('platform', 'github.repository', config.github.repository, GITHUB_NAME, 'a GitHub repository name');
  }
  if (config.delivery !== undefined) validateDelivery(config, check, problems);
  if (check.present('platform', 'dns', config.dns)) {
    check.matches('platform', 'dns.zoneName', config.dns.zoneName, HOSTNAME, 'a DNS zone such as "example.com"');
    check.matches('platform', 'dns.hostedZoneId', config.dns.hostedZoneId, /^Z[A-Z0-9]{1,31}$/, 'a Route 53 hosted zone ID such as "Z0123456789ABC"');
  }
  if (check.present('platform', 'identity', config.identity)) {
    check.region('platform', 'identity.region', config.identity.region);
    if (
      check.matches('platform', 'identity.domainPrefix', config.identity.domainPrefix, DNS_LABEL, 'a lowercase DNS label') &&
      /aws|amazon|cognito/.test(config.identity.domainPrefix)
    ) {
      problems.push(`platform: identity.domainPrefix is "${config.identity.domainPrefix}"; Cognito reserves "aws", "amazon" and "cognito" in domain prefixes`);
    }
    check.oneOf('platform', 'identity.mfa', config.identity.mfa, ['optional', 'required']);
    if (config.identity.threatProtection !== undefined) check.oneOf('platform', 'identity.threatProtection', config.identity.threatProtection, ['full', 'audit', 'off']);
  }
}

/** One certificate per region, each name a hostname inside the hosted zone. */
function validateCertificates(config: PlatformConfig, check: Checker, problems: string[]): void {
  const certificates = config.certificates ?? {};
  if (check.present('platform', 'certificates', config.certificates)) {
    for (const [region, certificate] of Object.entries(certificates)) {
      const where = `certificate "${region}"`;
      check.region(where, 'region', region);
      const named: [string, unknown][] = [
        ['domainName', certificate.domainName],
        ...(certificate.subjectAlternativeNames ?? []).map((name, i): [string, unknown] => [`subjectAlternativeNames[${i}]`, name]),
      ];
      for (const [field, name] of named) {
        if (!check.present(where, field, name)) continue;
        const bare = typeof name === 'string' && name.startsWith('*.') ? name.slice(2) : name;
        if (typeof bare !== 'string' || !HOSTNAME.test(bare)) {
          problems.push(`${where}: ${field} is ${JSON.stringify(name)}; expected a hostname, optionally with a leading "*."`);
        } else if (config.dns?.zoneName && bare !== config.dns.zoneName && !bare.endsWith(`.${config.dns.zoneName}`)) {
          problems.push(`${where}: name "${name}" is outside the hosted zone "${config.dns.zoneName}" that validates it`);
        }
      }
    }
  }
}

function validateEnvironments(config: PlatformConfig, imageNames: readonly string[], check: Checker, problems: string[]): void {
  const certificates = config.certificates ?? {};
  if (!Array.isArray(config.environments) || config.environments.length === 0) {
    problems.push('platform: environments is missing or empty; at least one environment is required');
  } else {
    const seen = new Set<string>();
    for (const env of config.environments) {
      if (seen.has(env.name)) problems.push(`environment "${env.name}": name is used twice; environment names must be unique`);
      seen.add(env.name);
      validateEnvironment(env, config.project, certificates, imageNames, check, problems);
    }
    checkCidrOverlaps(config.environments, problems);
    problems.push(...accountProblems(config));
  }
}

function validatePortableTargets(config: PlatformConfig, imageNames: readonly string[], check: Checker, problems: string[]): void {
  const environmentNames = new Set((config.environments ?? []).map((e) => e.name));
  for (const target of config.portableTargets ?? []) {
    const where = `portable target "${target.name}"`;
    if (check.matches(where, 'name', target.name, ENV_NAME, 'a lowercase name of 1-12 letters and digits') && environmentNames.has(target.name)) {
      problems.push(`${where}: name clashes with the environment of the same name; manifest folders must be unique`);
    }
    check.knownKeys(where, '', target, PORTABLE_TARGET_KEYS);
    check.matches(where, 'ingressClassName', target.ingressClassName, DNS_LABEL, 'an IngressClass name such as "nginx"');
    if (target.tlsSecretName !== undefined) check.matches(where, 'tlsSecretName', target.tlsSecretName, DNS_LABEL, 'a Secret name');
    check.matches(where, 'namespace', target.namespace, DNS_LABEL, 'a Kubernetes namespace name (lowercase DNS label)');
    // The same rules as the environments (and the charts): a portable target runs the same workloads.
    validateWorkloads(target.workloads, { where, production: false, images: imageNames }, check);
    if (target.release !== undefined) problems.push(...releaseStrategyProblems(target.release, `${where}: release`));
    if (target.metricsScrapeCidrs !== undefined) {
      if (!Array.isArray(target.metricsScrapeCidrs) || target.metricsScrapeCidrs.length === 0) {
        problems.push(
          `${where}: metricsScrapeCidrs is ${JSON.stringify(target.metricsScrapeCidrs)}; expected at least one CIDR (where the API server's pod proxy connects from), or leave it out for the default`,
        );
      } else {
        // At most a /8: the metrics port is for the API server, not for a whole network.
        target.metricsScrapeCidrs.forEach((cidr, i) => check.cidr(where, `metricsScrapeCidrs[${i}]`, cidr, 8, 32));
      }
    }
    if (target.databaseCidr !== undefined) check.cidr(where, 'databaseCidr', target.databaseCidr, 0, 32);
  }
}

function validateEnvironment(
  env: EnvironmentConfig,
  project: unknown,
  certificates: PlatformConfig['certificates'],
  imageNames: readonly string[],
  check: Checker,
  problems: string[],
): void {
  const where = `environment "${env.name}"`;
  checkEnvironmentBasics(where, env, project, check, problems);
  if (check.present(where, 'cluster', env.cluster)) checkCluster(where, env, check, problems);
  if (check.present(where, 'database', env.database)) checkDatabase(where, env.database, check, problems);
  checkEnvironmentWorkloads(where, env, certificates, imageNames, check, problems);
  if (check.present(where, 'dataRetention', env.dataRetention)) checkDataRetention(where, env, check, problems);
  validateOperations(where, env.operations, env, problems);
}

function checkEnvironmentBasics(where: string, env: EnvironmentConfig, project: unknown, check: Checker, problems: string[]): void {
  check.knownKeys(where, '', env, ENVIRONMENT_KEYS);
  check.matches(where, 'name', env.name, ENV_NAME, 'a lowercase name of 1-12 letters and digits, starting with a letter');
  if (env.account !== undefined) check.matches(where, 'account', env.account, ACCOUNT_ID, 'a 12-digit AWS account ID, or no account for account-agnostic synth');
  check.region(where, 'region', env.region);
  check.boolean(where, 'production', env.production);
  if (typeof project === 'string' && typeof env.name === 'string') {
    const albName = loadBalancerName(project, env.name);
    if (albName.length > MAX_LOAD_BALANCER_NAME_LENGTH) {
      problems.push(
        `${where}: the load balancer name "${albName}" (project-environment-ingress) has ${albName.length} characters; Elastic Load Balancing allows at most ${MAX_LOAD_BALANCER_NAME_LENGTH}: shorten project or the environment name`,
      );
    }
  }
  check.cidr(where, 'vpcCidr', env.vpcCidr, 16, 24);
  // At most one NAT gateway per availability zone of the VPC.
  check.integer(where, 'natGateways', env.natGateways, 1, VPC_AZS);
  if (env.interfaceEndpoints !== undefined) check.boolean(where, 'interfaceEndpoints', env.interfaceEndpoints);
  if (env.flowLogTraffic !== undefined) check.oneOf(where, 'flowLogTraffic', env.flowLogTraffic, ['all', 'reject']);
  check.integer(where, 'apiThrottleRatePerSecond', env.apiThrottleRatePerSecond, 1, 10000);
  check.integer(where, 'apiThrottleBurst', env.apiThrottleBurst, 1, 5000);
  if (env.apiReservedConcurrency !== undefined) check.integer(where, 'apiReservedConcurrency', env.apiReservedConcurrency, 1, 900);

  if (check.present(where, 'deployFrom', env.deployFrom)) {
    if (check.oneOf(where, 'deployFrom.kind', env.deployFrom.kind, ['branch', 'release']) && env.deployFrom.kind === 'branch') {
      check.matches(where, 'deployFrom.branch', env.deployFrom.branch, GIT_BRANCH, 'a Git branch name such as "develop"');
    }
  }
}

function checkCluster(where: string, env: EnvironmentConfig, check: Checker, problems: string[]): void {
  const cluster = env.cluster;
  // adminRoleName has a rule of its own below that names its replacement.
  check.knownKeys(where, 'cluster', cluster, [...CLUSTER_KEYS, 'adminRoleName']);
  check.oneOf(where, 'cluster.kubernetesVersion', cluster.kubernetesVersion, SUPPORTED_KUBERNETES_VERSIONS);
  if (!Array.isArray(cluster.nodeInstanceTypes) || cluster.nodeInstanceTypes.length === 0) {
    problems.push(`${where}: cluster.nodeInstanceTypes is ${JSON.stringify(cluster.nodeInstanceTypes)}; give at least one EC2 instance type such as "t4g.large"`);
  } else {
    const wellFormed = cluster.nodeInstanceTypes.map((t, i) =>
      check.matches(where, `cluster.nodeInstanceTypes[${i}]`, t, INSTANCE_TYPE, 'an EC2 instance type such as "t4g.large"'),
    );
    // One managed node group has one AMI type, and the image is built for the nodes' architecture.
    if (wellFormed.every(Boolean) && nodeArchitectures(env).length > 1) {
      const each = cluster.nodeInstanceTypes.map((t) => `${t}: ${instanceArchitecture(t)}`).join(', ');
      problems.push(
        `${where}: cluster.nodeInstanceTypes mixes CPU architectures (${each}); a managed node group runs one AMI type: use only Graviton (arm64) or only x86_64 types`,
      );
    }
  }
  const sizes = [
    check.integer(where, 'cluster.minNodes', cluster.minNodes, 1, 100),
    check.integer(where, 'cluster.desiredNodes', cluster.desiredNodes, 1, 100),
    check.integer(where, 'cluster.maxNodes', cluster.maxNodes, 1, 100),
  ];
  if (sizes.every(Boolean) && !(cluster.minNodes <= cluster.desiredNodes && cluster.desiredNodes <= cluster.maxNodes)) {
    problems.push(`${where}: cluster node counts are min ${cluster.minNodes}, desired ${cluster.desiredNodes}, max ${cluster.maxNodes}; they must satisfy min <= desired <= max`);
  }
  checkEndpointAccess(where, cluster, check, problems);
  if ('adminRoleName' in cluster) {
    problems.push(
      `${where}: cluster.adminRoleName is ${JSON.stringify((cluster as { adminRoleName?: unknown }).adminRoleName)}; it was replaced by cluster.adminPrincipalArn, the role's full ARN (path included), or nothing for no admin entry`,
    );
  }
  if (cluster.adminPrincipalArn !== undefined) {
    check.matches(
      where,
      'cluster.adminPrincipalArn',
      cluster.adminPrincipalArn,
      IAM_PRINCIPAL_ARN,
      'the full ARN of an IAM role or user, path included, such as "arn:aws:iam::111122223333:role/PlatformAdmin" or "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef", or leave it out for no admin entry',
    );
  }
  if (cluster.controlPlaneLogTypes !== undefined) {
    const types = cluster.controlPlaneLogTypes as readonly unknown[];
    if (!Array.isArray(types) || types.some((t) => !ALL_CONTROL_PLANE_LOG_TYPES.includes(t as never)) || new Set(types).size !== types.length) {
      problems.push(
        `${where}: cluster.controlPlaneLogTypes is ${JSON.stringify(types)}; expected distinct values of ${ALL_CONTROL_PLANE_LOG_TYPES.map((t) => `"${t}"`).join(', ')}`,
      );
    } else if (!types.includes('audit')) {
      problems.push(`${where}: cluster.controlPlaneLogTypes is ${JSON.stringify(types)}; it must include "audit" (who changed what in the cluster)`);
    }
  }
}

/** A public endpoint admits specific networks only; never the whole internet. */
function checkEndpointAccess(where: string, cluster: EnvironmentConfig['cluster'], check: Checker, problems: string[]): void {
  if (check.oneOf(where, 'cluster.endpointAccess', cluster.endpointAccess, ['public-and-private', 'private']) && cluster.endpointAccess === 'public-and-private') {
    if (!Array.isArray(cluster.publicAccessCidrs) || cluster.publicAccessCidrs.length === 0) {
      problems.push(
        `${where}: cluster.publicAccessCidrs is ${JSON.stringify(cluster.publicAccessCidrs)}; a public endpoint needs at least one CIDR (an open endpoint is not allowed), or set endpointAccess to "private"`,
      );
    } else {
      cluster.publicAccessCidrs.forEach((cidr, i) => {
        if (check.cidr(where, `cluster.publicAccessCidrs[${i}]`, cidr, 0, 32) && cidr.endsWith('/0')) {
          problems.push(`${where}: cluster.publicAccessCidrs[${i}] is "${cidr}"; the public endpoint must be limited to specific networks, not the whole internet`);
        }
      });
    }
  }
}

function checkDatabase(where: string, db: EnvironmentConfig['database'], check: Checker, problems: string[]): void {
  check.knownKeys(where, 'database', db, DATABASE_KEYS);
  check.matches(where, 'database.instanceType', db.instanceType, INSTANCE_TYPE, 'an RDS instance class without "db.", such as "t4g.medium"');
  check.integer(where, 'database.allocatedStorageGiB', db.allocatedStorageGiB, 20, 65536);
  if (check.integer(where, 'database.maxAllocatedStorageGiB', db.maxAllocatedStorageGiB, 20, 65536) && db.maxAllocatedStorageGiB < db.allocatedStorageGiB) {
    problems.push(`${where}: database.maxAllocatedStorageGiB is ${db.maxAllocatedStorageGiB}; it must be at least allocatedStorageGiB (${db.allocatedStorageGiB})`);
  }
  check.boolean(where, 'database.multiAz', db.multiAz);
  check.integer(where, 'database.backupRetentionDays', db.backupRetentionDays, 1, 35);
}

/** Namespace, certificate and hosts, and the workloads with their release strategy. */
function checkEnvironmentWorkloads(
  where: string,
  env: EnvironmentConfig,
  certificates: PlatformConfig['certificates'],
  imageNames: readonly string[],
  check: Checker,
  problems: string[],
): void {
  check.matches(where, 'namespace', env.namespace, DNS_LABEL, 'a Kubernetes namespace name (lowercase DNS label)');
  const certificate = certificates[env.region];
  if (typeof env.region === 'string' && !certificate) {
    problems.push(
      `${where}: region "${env.region}" has no entry in certificates; every region that hosts an environment needs one (have: ${Object.keys(certificates).join(', ') || 'none'})`,
    );
  }
  if (Array.isArray(env.workloads) && env.workloads.some((w) => w?.kind === 'service' && w.exposure?.kind === 'public') && publicHosts(env.workloads).length === 0) {
    problems.push(`${where}: no public service names exposure.host; the ALB's sign-in (Cognito callback) needs at least one host of the environment`);
  }
  validateWorkloads(
    env.workloads,
    {
      where,
      production: env.production === true,
      images: imageNames,
      ...(certificate
        ? {
            coversHost: (host: string) => certificateCovers(certificate.domainName, certificate.subjectAlternativeNames ?? [], host),
            certificateNames: [certificate.domainName, ...(certificate.subjectAlternativeNames ?? [])].join(', '),
          }
        : {}),
    },
    check,
  );
  if (env.release !== undefined) problems.push(...releaseStrategyProblems(env.release, `${where}: release`));
}

function checkDataRetention(where: string, env: EnvironmentConfig, check: Checker, problems: string[]): void {
  const retention = env.dataRetention;
  check.knownKeys(where, 'dataRetention', retention, DATA_RETENTION_KEYS);
  check.boolean(where, 'dataRetention.deletionProtection', retention.deletionProtection);
  check.oneOf(where, 'dataRetention.removal', retention.removal, ['destroy', 'snapshot', 'retain']);
  if (env.production && retention.deletionProtection !== true) {
    problems.push(`${where}: dataRetention.deletionProtection is ${String(retention.deletionProtection)}; production environments must have deletion protection (true)`);
  }
  if (env.production && retention.removal === 'destroy') {
    problems.push(`${where}: dataRetention.removal is "destroy"; production data must be kept: use "snapshot" or "retain"`);
  }
}

/** True when the certificate's names cover the hostname (a wildcard covers exactly one label). */
export function certificateCovers(domainName: string, alternativeNames: readonly string[], hostname: string): boolean {
  return [domainName, ...alternativeNames].some((name) => {
    if (name === hostname) return true;
    if (!name.startsWith('*.')) return false;
    const dot = hostname.indexOf('.');
    return dot > 0 && hostname.slice(dot + 1) === name.slice(2);
  });
}

function checkCidrOverlaps(environments: readonly EnvironmentConfig[], problems: string[]): void {
  const ranges = environments.map((env) => ({ env, range: parseCidr(env.vpcCidr) })).filter((r): r is { env: EnvironmentConfig; range: [number, number] } => r.range !== undefined);
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const [a, b] = [ranges[i], ranges[j]];
      if (a.range[0] <= b.range[1] && b.range[0] <= a.range[1]) {
        problems.push(
          `environment "${b.env.name}": vpcCidr "${b.env.vpcCidr}" overlaps environment "${a.env.name}" (${a.env.vpcCidr}); VPC CIDRs must not overlap so environments can be peered or share a transit gateway`,
        );
      }
    }
  }
}

const UUID_IN_BRACES = /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/;
/** Who pushes images, beside one entry per environment: the Bitbucket deployment environment, the Jenkins agent. */
export const IMAGES_PUSHER = 'images';
/** The push step's Bitbucket deployment environment (beside one per environment). */
export const BITBUCKET_IMAGES_ENVIRONMENT = IMAGES_PUSHER;

function validateDelivery(config: PlatformConfig, check: Checker, problems: string[]): void {
  const delivery = config.delivery!;
  const environments = (config.environments ?? []).map((e) => e.name);
  // A glob IAM (StringLike) and the CI systems read alike: letters, digits, . _ - and at most a trailing "*".
  check.matches(
    'platform',
    'delivery.releaseTagPattern',
    delivery.releaseTagPattern,
    /^[A-Za-z0-9._-]+\*?$/,
    'a tag glob such as "v*" (letters, digits, ".", "_", "-", one trailing "*")',
  );
  if (delivery.gitlab) {
    check.matches(
      'platform',
      'delivery.gitlab.url',
      delivery.gitlab.url,
      /^https:\/\/[a-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._-]+)*$/,
      'the GitLab instance URL, https and no trailing slash (e.g. "https://gitlab.com")',
    );
    check.matches(
      'platform',
      'delivery.gitlab.projectPath',
      delivery.gitlab.projectPath,
      /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/,
      'the full project path such as "group/project" (no wildcard)',
    );
  }
  if (delivery.bitbucket) {
    const b = delivery.bitbucket;
    check.matches('platform', 'delivery.bitbucket.workspace', b.workspace, /^[a-z0-9_-]{1,62}$/, 'a Bitbucket workspace slug');
    check.matches('platform', 'delivery.bitbucket.workspaceUuid', b.workspaceUuid, UUID_IN_BRACES, 'a UUID in braces such as "{0a1b…}"');
    check.matches('platform', 'delivery.bitbucket.repositoryUuid', b.repositoryUuid, UUID_IN_BRACES, 'a UUID in braces such as "{0a1b…}"');
    const allowed = [BITBUCKET_IMAGES_ENVIRONMENT, ...environments];
    // An environment without an entry gets no Bitbucket trust (adding an environment stays one entry).
    for (const [name, uuid] of Object.entries(b.deploymentEnvironmentUuids ?? {})) {
      if (allowed.includes(name))
        check.matches('platform', `delivery.bitbucket.deploymentEnvironmentUuids.${name}`, uuid, UUID_IN_BRACES, 'a UUID in braces (Repository settings → Deployments)');
    }
    for (const name of Object.keys(b.deploymentEnvironmentUuids ?? {}).filter((n) => environments.length > 0 && !allowed.includes(n))) {
      problems.push(`platform: delivery.bitbucket.deploymentEnvironmentUuids has "${name}", which is no environment; allowed: ${allowed.map((n) => `"${n}"`).join(', ')}`);
    }
  }
  if (delivery.jenkins) {
    const allowed = [IMAGES_PUSHER, ...environments];
    for (const [name, role] of Object.entries(delivery.jenkins.agentRoleNames ?? {})) {
      if (allowed.includes(name)) check.matches('platform', `delivery.jenkins.agentRoleNames.${name}`, role, IAM_ROLE_NAME, 'an IAM role name');
    }
    for (const name of Object.keys(delivery.jenkins.agentRoleNames ?? {}).filter((n) => environments.length > 0 && !allowed.includes(n))) {
      problems.push(`platform: delivery.jenkins.agentRoleNames has "${name}", which is no environment; allowed: ${allowed.map((n) => `"${n}"`).join(', ')}`);
    }
  }
}

/** Looks up an environment by name; the error lists the names that exist. */
export function environmentByName(config: PlatformConfig, name: string): EnvironmentConfig {
  const env = config.environments.find((e) => e.name === name);
  if (!env) {
    throw new ConfigError([`unknown environment ${JSON.stringify(name)}; allowed: ${config.environments.map((e) => `"${e.name}"`).join(', ')}`]);
  }
  return env;
}

/** Where a named release goes: an AWS environment or a portable (non-AWS) target. */
export type DeployTarget =
  { readonly kind: 'aws'; readonly name: string; readonly env: EnvironmentConfig } | { readonly kind: 'portable'; readonly name: string; readonly target: PortableTargetConfig };

/** Finds an environment or portable target by name; undefined when neither exists (callers word the error). */
export function findTarget(config: PlatformConfig, name: string): DeployTarget | undefined {
  const env = config.environments.find((e) => e.name === name);
  if (env) return { kind: 'aws', name, env };
  const target = (config.portableTargets ?? []).find((t) => t.name === name);
  return target ? { kind: 'portable', name, target } : undefined;
}
