import type { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, PolicyViolation } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';

/** Every EKS control-plane log type, as CloudFormation spells them. */
export const REQUIRED_EKS_LOG_TYPES = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'] as const;

export const EKS_LOGGING_RULE = 'Platform-EKS-Logging';
/** The plugin's name: the namespace of its rule IDs in an acknowledgement (`<plugin>::<rule>`). */
export const EKS_CHECKS_PLUGIN = 'PlatformEksChecks';
export const EKS_ENDPOINT_RULE = 'Platform-EKS-Endpoint';

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/**
 * Checks cdk-nag cannot make on aws-eks-v2 clusters (its EKS1/EKS2 rules only see the v1 construct): every
 * `AWS::EKS::Cluster` in every template must enable all control-plane log types, and a public endpoint must be
 * limited to specific CIDRs (not empty, not 0.0.0.0/0). Works on the synthesized templates, so it covers any
 * cluster construct. Violations fail synth like cdk-nag findings (see `synthInfra`).
 */
export class EksClusterChecks implements IPolicyValidationPlugin {
  readonly name = EKS_CHECKS_PLUGIN;
  readonly version = '1.0.0';
  readonly ruleIds = [EKS_LOGGING_RULE, EKS_ENDPOINT_RULE];

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations: PolicyViolation[] = [];
    for (const templatePath of context.templatePaths) {
      const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources?: Record<string, CfnResource> };
      for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
        if (resource.Type !== 'AWS::EKS::Cluster') continue;
        for (const problem of checkEksCluster(resource.Properties ?? {})) {
          violations.push({
            ruleName: problem.rule,
            description: problem.message,
            fix: problem.fix,
            severity: 'error',
            violatingResources: [{ resourceLogicalId: logicalId, templatePath, locations: [problem.location] }],
          });
        }
      }
    }
    return { success: violations.length === 0, violations };
  }
}

export interface EksProblem {
  readonly rule: string;
  readonly location: string;
  readonly message: string;
  readonly fix: string;
}

/** The checks on one cluster's CloudFormation properties (exported for unit tests). */
export function checkEksCluster(properties: Record<string, unknown>): EksProblem[] {
  const problems: EksProblem[] = [];
  const logging = (properties.Logging as { ClusterLogging?: { EnabledTypes?: { Type?: unknown }[] } } | undefined)?.ClusterLogging?.EnabledTypes ?? [];
  const enabled = new Set(logging.map((t) => t.Type));
  const missing = REQUIRED_EKS_LOG_TYPES.filter((t) => !enabled.has(t));
  if (missing.length > 0) {
    problems.push({
      rule: EKS_LOGGING_RULE,
      location: 'Properties/Logging/ClusterLogging/EnabledTypes',
      message: `EKS control-plane logging lacks ${missing.join(', ')} (enabled: ${[...enabled].join(', ') || 'none'}); every log type must be enabled`,
      fix: 'Set clusterLogging to every eks.ClusterLoggingTypes value',
    });
  }
  const vpcConfig = (properties.ResourcesVpcConfig ?? {}) as { EndpointPublicAccess?: unknown; EndpointPrivateAccess?: unknown; PublicAccessCidrs?: unknown };
  const publicAccess = vpcConfig.EndpointPublicAccess !== false; // EKS default: public
  if (publicAccess) {
    const cidrs = Array.isArray(vpcConfig.PublicAccessCidrs) ? (vpcConfig.PublicAccessCidrs as unknown[]) : [];
    const open = cidrs.filter((c) => c === '0.0.0.0/0' || c === '::/0');
    if (cidrs.length === 0 || open.length > 0) {
      problems.push({
        rule: EKS_ENDPOINT_RULE,
        location: 'Properties/ResourcesVpcConfig/PublicAccessCidrs',
        message: `EKS public endpoint is open to ${cidrs.length === 0 ? 'the whole internet (no PublicAccessCidrs)' : open.join(', ')}; limit it to specific CIDRs or make the endpoint private`,
        fix: 'Use EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom(<cidrs>) or EndpointAccess.PRIVATE',
      });
    }
  }
  if (vpcConfig.EndpointPrivateAccess !== true) {
    problems.push({
      rule: EKS_ENDPOINT_RULE,
      location: 'Properties/ResourcesVpcConfig/EndpointPrivateAccess',
      message: `EKS private endpoint access is ${JSON.stringify(vpcConfig.EndpointPrivateAccess ?? false)}; nodes must reach the API server inside the VPC`,
      fix: 'Use EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom(<cidrs>) or EndpointAccess.PRIVATE',
    });
  }
  return problems;
}
