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
