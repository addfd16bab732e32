/**
 * CPU architecture of the nodes, derived from the configured instance types: the one source for the node group's
 * AMI type (infra) and the platforms the image is built for (`npm run image:platforms`, used by build-scan.yml).
 * No runtime dependencies (charts/ and scripts share it).
 */
import type { EnvironmentConfig, PlatformConfig } from './types';

export type NodeArchitecture = 'arm64' | 'x86_64';

/** Docker/OCI platform of each node architecture (what `docker buildx build --platform` takes). */
export const IMAGE_PLATFORM: Readonly<Record<NodeArchitecture, string>> = { arm64: 'linux/arm64', x86_64: 'linux/amd64' };

/**
 * AWS Graviton instance families: a "g" right after the generation digit (t4g, m7g, c7gn, r8gd, im4gn, is4gen, x2gd,
 * g5g, hpc7g), plus the first-generation a1. Every other EC2 family EKS managed node groups run is x86_64.
 * https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html ("g" = AWS Graviton processors).
 */
const GRAVITON_FAMILY = /^(?:a1|[a-z]+\d+g[a-z]*)$/;

/** The architecture of one EC2 instance type, e.g. "t4g.large" → arm64, "m7i.large" → x86_64. */
export function instanceArchitecture(instanceType: string): NodeArchitecture {
  const family = instanceType.split('.')[0];
  return GRAVITON_FAMILY.test(family) ? 'arm64' : 'x86_64';
}

/**
 * The architectures of an environment's node instance types: one for a valid configuration (a managed node group
 * has a single AMI type; `validatePlatformConfig` rejects a mix).
 */
export function nodeArchitectures(env: Pick<EnvironmentConfig, 'cluster'>): NodeArchitecture[] {
  return [...new Set(env.cluster.nodeInstanceTypes.map(instanceArchitecture))].sort();
}

/** The architecture of an environment's nodes. Throws when its instance types mix architectures. */
export function nodeArchitecture(env: Pick<EnvironmentConfig, 'name' | 'cluster'>): NodeArchitecture {
  const found = nodeArchitectures(env);
  if (found.length !== 1) {
    throw new Error(
      `environment "${env.name}": cluster.nodeInstanceTypes ${JSON.stringify(env.cluster.nodeInstanceTypes)} have architectures ${found.join(', ') || 'none'}; a managed node group needs exactly one`,
    );
  }
  return found[0];
}

/** Platforms the web image must be built for: the union of every environment's node architecture, sorted. */
export function imagePlatforms(config: Pick<PlatformConfig, 'environments'>): string[] {
  return [...new Set(config.environments.map((env) => IMAGE_PLATFORM[nodeArchitecture(env)]))].sort();
}
