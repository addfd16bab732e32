/** Prod in the same region as dev and staging (the configuration allows it): one shared regional stack, no replication, no cross-region references. */
import { type PlatformConfig, platformConfig, validatePlatformConfig } from '../../config';
import { synthesizeConfig, withPublicHost } from './helpers';

const config: PlatformConfig = validatePlatformConfig({
  ...platformConfig,
  certificates: { 'eu-west-1': platformConfig.certificates['eu-west-1'] },
  environments: platformConfig.environments.map((env) =>
    env.name === 'prod' ? { ...env, region: 'eu-west-1', workloads: withPublicHost(env.workloads, 'app.eu-west-1.example.com') } : env,
  ),
});
const assembly = synthesizeConfig(config, 'single-region');
const types = (name: string) => Object.values(assembly.json(name).Resources as Record<string, { Type: string }>).map((r) => r.Type);

describe('all environments in one region', () => {
  test('one shared regional stack', () => {
    expect([...assembly.stackNames].sort()).toEqual([
      'platform-dev',
      'platform-dev-runner',
      'platform-github',
      'platform-identity',
      'platform-prod',
      'platform-prod-runner',
      'platform-shared-eu-west-1',
      'platform-staging',
      'platform-staging-runner',
    ]);
  });

  test('no ECR replication and no cross-region reference custom resources', () => {
    expect(types('platform-shared-eu-west-1')).not.toContain('AWS::ECR::ReplicationConfiguration');
    expect(types('platform-prod')).not.toContain('Custom::CrossRegionExportReader');
    expect(types('platform-identity')).not.toContain('Custom::CrossRegionExportWriter');
  });

  test('zero unacknowledged findings', () => {
    expect(assembly.findings).toEqual([]);
  });
});
