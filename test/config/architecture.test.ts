import { imagePlatforms, instanceArchitecture, nodeArchitecture, platformConfig, validatePlatformConfig } from '../../config';
import type { EnvironmentConfig, PlatformConfig } from '../../config';

const withNodes = (name: string, nodeInstanceTypes: string[]): PlatformConfig => ({
  ...platformConfig,
  environments: platformConfig.environments.map((env): EnvironmentConfig => (env.name === name ? { ...env, cluster: { ...env.cluster, nodeInstanceTypes } } : env)),
});

describe('node architecture from instance types', () => {
  // https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html: "g" after the generation = AWS Graviton.
  test.each([
    ['t4g.large', 'arm64'],
    ['m7g.large', 'arm64'],
    ['c7gn.xlarge', 'arm64'],
    ['r8gd.2xlarge', 'arm64'],
    ['im4gn.large', 'arm64'],
    ['is4gen.medium', 'arm64'],
    ['g5g.xlarge', 'arm64'],
    ['a1.large', 'arm64'],
    ['m7i.large', 'x86_64'],
    ['m7i-flex.large', 'x86_64'],
    ['t3.large', 'x86_64'],
    ['g5.xlarge', 'x86_64'],
    ['c7a.large', 'x86_64'],
  ])('%s runs %s', (type, architecture) => {
    expect(instanceArchitecture(type)).toBe(architecture);
  });

  test('the default configuration builds the image for linux/arm64 only (every node group is Graviton)', () => {
    expect(platformConfig.environments.map((env) => nodeArchitecture(env))).toEqual(['arm64', 'arm64', 'arm64']);
    expect(imagePlatforms(platformConfig)).toEqual(['linux/arm64']);
  });

  test('x86_64 nodes in one environment add linux/amd64 to the image platforms (the union, sorted)', () => {
    expect(imagePlatforms(withNodes('prod', ['m7i.large']))).toEqual(['linux/amd64', 'linux/arm64']);
  });

  test('fails when one node group mixes architectures, naming each type and its architecture', () => {
    const config = withNodes('staging', ['t4g.large', 'm7i.large']);
    expect(() => nodeArchitecture(config.environments[1])).toThrow(/environment "staging".*arm64, x86_64; a managed node group needs exactly one/);
    expect(() => validatePlatformConfig(config)).toThrow(
      'environment "staging": cluster.nodeInstanceTypes mixes CPU architectures (t4g.large: arm64, m7i.large: x86_64); a managed node group runs one AMI type',
    );
  });
});
