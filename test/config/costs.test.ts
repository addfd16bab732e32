import { controlPlaneLogTypes, flowLogTraffic, interfaceEndpoints, platformConfig, threatProtection, validatePlatformConfig } from '../../config';
import type { EnvironmentConfig, PlatformConfig } from '../../config';

const env = (name: string) => platformConfig.environments.find((e) => e.name === name)!;
const withEnv = (name: string, change: (e: EnvironmentConfig) => object): PlatformConfig => ({
  ...platformConfig,
  environments: platformConfig.environments.map((e) => (e.name === name ? (change(e) as EnvironmentConfig) : e)),
});

describe('cost settings: cheaper defaults outside production', () => {
  test('production logs every control-plane type and all flows, has interface endpoints', () => {
    expect(controlPlaneLogTypes(env('prod'))).toEqual(['api', 'audit', 'authenticator', 'controllerManager', 'scheduler']);
    expect(flowLogTraffic(env('prod'))).toBe('all');
    expect(interfaceEndpoints(env('prod'))).toBe(true);
  });

  test('dev and staging log audit and authenticator only, rejected flows only, no interface endpoints', () => {
    for (const name of ['dev', 'staging']) {
      expect(controlPlaneLogTypes(env(name))).toEqual(['audit', 'authenticator']);
      expect(flowLogTraffic(env(name))).toBe('reject');
      expect(interfaceEndpoints(env(name))).toBe(false);
    }
  });

  test('explicit settings win over the defaults', () => {
    const dev = {
      ...env('dev'),
      interfaceEndpoints: true,
      flowLogTraffic: 'all' as const,
      cluster: { ...env('dev').cluster, controlPlaneLogTypes: ['audit' as const, 'api' as const] },
    };
    expect([interfaceEndpoints(dev), flowLogTraffic(dev), controlPlaneLogTypes(dev)]).toEqual([true, 'all', ['audit', 'api']]);
  });

  test('Cognito threat protection (Plus plan) is on when any environment is production, off otherwise, and configurable', () => {
    expect(threatProtection(platformConfig)).toBe('full');
    expect(threatProtection({ ...platformConfig, environments: platformConfig.environments.filter((e) => !e.production) })).toBe('off');
    expect(threatProtection({ ...platformConfig, identity: { ...platformConfig.identity, threatProtection: 'audit' } })).toBe('audit');
  });
});

describe('cost settings: validation', () => {
  const problems = (config: PlatformConfig): string => {
    try {
      validatePlatformConfig(config);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected the configuration to be rejected');
  };

  test('fails when control-plane logging leaves out audit', () => {
    expect(problems(withEnv('dev', (e) => ({ ...e, cluster: { ...e.cluster, controlPlaneLogTypes: ['api'] } })))).toContain(
      'environment "dev": cluster.controlPlaneLogTypes is ["api"]; it must include "audit"',
    );
  });

  test('fails when a control-plane log type is unknown or repeated', () => {
    expect(problems(withEnv('dev', (e) => ({ ...e, cluster: { ...e.cluster, controlPlaneLogTypes: ['audit', 'kubelet'] } })))).toContain(
      'environment "dev": cluster.controlPlaneLogTypes is ["audit","kubelet"]; expected distinct values of "api", "audit"',
    );
    expect(problems(withEnv('dev', (e) => ({ ...e, cluster: { ...e.cluster, controlPlaneLogTypes: ['audit', 'audit'] } })))).toContain(
      'cluster.controlPlaneLogTypes is ["audit","audit"]',
    );
  });

  test('fails when flowLogTraffic, interfaceEndpoints or threatProtection have another value', () => {
    expect(problems(withEnv('staging', (e) => ({ ...e, flowLogTraffic: 'accept' })))).toContain('environment "staging": flowLogTraffic is "accept"; allowed: "all", "reject"');
    expect(problems(withEnv('staging', (e) => ({ ...e, interfaceEndpoints: 'yes' })))).toContain('environment "staging": interfaceEndpoints is "yes"; expected true or false');
    expect(problems({ ...platformConfig, identity: { ...platformConfig.identity, threatProtection: 'on' as never } })).toContain(
      'platform: identity.threatProtection is "on"; allowed: "full", "audit", "off"',
    );
  });
});
