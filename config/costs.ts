/**
 * Cost-shaped settings and their defaults: cheaper outside production, complete in production. The one place that
 * resolves the optional fields (infra reads these, never the raw optional values).
 */
import type { ControlPlaneLogType, EnvironmentConfig, FlowLogTraffic, PlatformConfig, ThreatProtection } from './types';

export const ALL_CONTROL_PLANE_LOG_TYPES: readonly ControlPlaneLogType[] = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'];
/** Outside production: who did what (audit) and who signed in (authenticator); not the API server's verbose log. */
export const NON_PRODUCTION_LOG_TYPES: readonly ControlPlaneLogType[] = ['audit', 'authenticator'];

export function controlPlaneLogTypes(env: Pick<EnvironmentConfig, 'production' | 'cluster'>): readonly ControlPlaneLogType[] {
  return env.cluster.controlPlaneLogTypes ?? (env.production ? ALL_CONTROL_PLANE_LOG_TYPES : NON_PRODUCTION_LOG_TYPES);
}

export function interfaceEndpoints(env: Pick<EnvironmentConfig, 'production' | 'interfaceEndpoints'>): boolean {
  return env.interfaceEndpoints ?? env.production;
}

export function flowLogTraffic(env: Pick<EnvironmentConfig, 'production' | 'flowLogTraffic'>): FlowLogTraffic {
  return env.flowLogTraffic ?? (env.production ? 'all' : 'reject');
}

export function threatProtection(config: Pick<PlatformConfig, 'identity' | 'environments'>): ThreatProtection {
  return config.identity.threatProtection ?? (config.environments.some((e) => e.production) ? 'full' : 'off');
}

/**
 * Unit prices (USD, us-east-1, on-demand) behind the cost table's rows that the first version left out, each from
 * the AWS pricing page named. The README's table (test/config/costs.test.ts) is checked against them.
 */
export const PRICES = {
  /** Amazon VPC pricing, "Public IPv4 addresses": every public IPv4 address, in use or idle, per hour. */
  publicIpv4PerHour: 0.005,
  /** Amazon VPC pricing, "NAT gateways": data processed per GB (on top of the hourly charge). */
  natPerGb: 0.045,
  /** AWS PrivateLink pricing: an interface endpoint per AZ-hour. */
  interfaceEndpointPerAzHour: 0.01,
  /** AWS KMS pricing: a customer managed key per month (none while scheduled for deletion). */
  kmsKeyPerMonth: 1,
  /** Amazon EKS pricing: a cluster per hour in standard support, and in extended support. */
  eksStandardPerHour: 0.1,
  eksExtendedPerHour: 0.6,
  /** Amazon CloudWatch pricing, Container Insights with enhanced observability for EKS: per million observations (first tier). */
  containerInsightsPerMillionObservations: 0.21,
} as const;

export const HOURS_PER_MONTH = 730;

/** Availability zones the internet-facing ALB spans (the VPC's two public subnets): one public IPv4 address each. */
export const LOAD_BALANCER_AZS = 2;

/** Public IPv4 addresses an environment holds: one Elastic IP per NAT gateway, one per AZ of its ALB. */
export function publicIpv4Addresses(env: Pick<EnvironmentConfig, 'natGateways'>): number {
  return env.natGateways + LOAD_BALANCER_AZS;
}
