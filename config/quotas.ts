/**
 * AWS service quotas the platform's resources count against, by the names Service Quotas shows, and what the
 * configuration needs of them. New accounts start with low values of some (docs/first-deployment.md#quotas). Reaching a
 * quota is not an invalid configuration, so these are warnings (printed by synth), never errors.
 */
import type { EnvironmentConfig, PlatformConfig } from './types';

export interface ServiceQuota {
  /** The name Service Quotas shows (console and `aws service-quotas list-service-quotas`). */
  readonly name: string;
  readonly service: string;
  readonly code: string;
  /** AWS's default value, where one is documented. */
  readonly defaultValue?: number;
}

export const QUOTAS = {
  vpcs: { name: 'VPCs per Region', service: 'vpc', code: 'L-F678F1CE', defaultValue: 5 },
  elasticIps: { name: 'EC2-VPC Elastic IPs', service: 'ec2', code: 'L-0263D0A3', defaultValue: 5 },
  onDemandVcpus: { name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances', service: 'ec2', code: 'L-1216C47A' },
  lambdaConcurrency: { name: 'Concurrent executions', service: 'lambda', code: 'L-B99A9384', defaultValue: 1000 },
} as const satisfies Record<string, ServiceQuota>;

/** vCPUs of the instance types the configurations use (EC2 instance type specifications). */
export const INSTANCE_VCPUS: Readonly<Record<string, number>> = {
  't4g.medium': 2,
  't4g.large': 2,
  't4g.xlarge': 4,
  'm7g.large': 2,
  'm7g.xlarge': 4,
  'm7i.large': 2,
  'm7i.xlarge': 4,
};

/**
 * vCPUs of on-demand instances an environment's node group runs at its maximum (maxNodes × the largest listed
 * instance type): what it needs of the "Running On-Demand Standard" quota. Undefined for an instance type missing
 * from INSTANCE_VCPUS.
 */
export function nodeGroupMaxVcpus(env: Pick<EnvironmentConfig, 'cluster'>): number | undefined {
  const vcpus = env.cluster.nodeInstanceTypes.map((t) => INSTANCE_VCPUS[t]);
  if (vcpus.some((v) => v === undefined)) return undefined;
  return env.cluster.maxNodes * Math.max(...vcpus);
}

/** Environments sharing one account and region, which share that account's regional quotas. */
function byAccountAndRegion(environments: readonly EnvironmentConfig[]): Map<string, EnvironmentConfig[]> {
  const groups = new Map<string, EnvironmentConfig[]>();
  for (const env of environments) {
    const key = `${env.region} in ${env.account ? `account ${env.account}` : 'the deploying account'}`;
    groups.set(key, [...(groups.get(key) ?? []), env]);
  }
  return groups;
}

/** "which exceeds …" or "all of …" the quota's default value, naming the quota as Service Quotas does. */
function reach(need: number, quota: ServiceQuota & { readonly defaultValue: number }): string {
  const named = `the default quota "${quota.name}" (${quota.service} ${quota.code}) of ${quota.defaultValue}`;
  return need > quota.defaultValue ? `which exceeds ${named}` : `all of ${named}: one more fails`;
}

/**
 * Warnings for the quotas a configuration reaches at their default values: each environment has its own VPC (beside
 * the default VPC every region of an account starts with) and one Elastic IP per NAT gateway. A fourth or fifth
 * environment in one account and region meets them. Each warning names the quota, the need and the environments.
 */
export function quotaWarnings(config: Pick<PlatformConfig, 'environments'>): string[] {
  const warnings: string[] = [];
  for (const [where, envs] of byAccountAndRegion(config.environments)) {
    const names = envs.map((e) => `"${e.name}"`).join(', ');
    const vpcs = envs.length + 1; // the region's default VPC counts too
    if (vpcs >= QUOTAS.vpcs.defaultValue) {
      warnings.push(
        `${where}: environments ${names} need ${envs.length} VPCs, ${vpcs} with the region's default VPC, ${reach(vpcs, QUOTAS.vpcs)}; request an increase (Service Quotas) before deploying`,
      );
    }
    const elasticIps = envs.reduce((sum, e) => sum + e.natGateways, 0);
    if (elasticIps >= QUOTAS.elasticIps.defaultValue) {
      warnings.push(
        `${where}: environments ${names} need ${elasticIps} Elastic IPs (one per NAT gateway), ${reach(elasticIps, QUOTAS.elasticIps)}; request an increase (Service Quotas) before deploying`,
      );
    }
  }
  return warnings;
}
