import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  controlPlaneLogTypes,
  flowLogTraffic,
  HOURS_PER_MONTH,
  interfaceEndpoints,
  platformConfig,
  PRICES,
  publicIpv4Addresses,
  threatProtection,
  validatePlatformConfig,
} from '../../config';
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

/**
 * The cost table (README "What it costs", or docs/costs.md once the README is split) names every driver a first month
 * meets, with its unit price and the AWS pricing page it comes from (issue 23, item 11), and the per-environment
 * figures follow from the configuration and config/costs.ts PRICES.
 */
describe('the cost table', () => {
  const root = join(__dirname, '..', '..');
  const doc = existsSync(join(root, 'docs', 'costs.md')) ? readFileSync(join(root, 'docs', 'costs.md'), 'utf8') : readFileSync(join(root, 'README.md'), 'utf8');
  const table = doc.slice(doc.indexOf('| driver |')).split('\n\n')[0];
  const row = (label: RegExp) => {
    const rows = table.split('\n').filter((line) => label.test(line.split('|')[1] ?? ''));
    expect(rows).toHaveLength(1);
    return rows[0].split('|').map((cell) => cell.trim());
  };
  const envs = ['dev', 'staging', 'prod'].map((name) => platformConfig.environments.find((e) => e.name === name)!);
  const monthly = (perHour: number) => Math.round(perHour * HOURS_PER_MONTH);

  test.each([
    [/public IPv4/, ['$0.005/h', 'https://aws.amazon.com/vpc/pricing/']],
    [/Container Insights observations/, ['$0.21 per million', 'https://aws.amazon.com/cloudwatch/pricing/']],
    [/logs through NAT/, ['$0.045/GB', 'https://aws.amazon.com/vpc/pricing/', 'https://aws.amazon.com/privatelink/pricing/']],
    [/KMS keys kept after teardown/, ['$1/month', 'none while scheduled for deletion', 'https://aws.amazon.com/kms/pricing/']],
    [/EKS extended support/, ['$0.60', '$0.10', 'https://aws.amazon.com/eks/pricing/']],
  ])('%s: a row with its unit price and its pricing page', (label, facts) => {
    const cells = row(label).join(' | ');
    for (const fact of facts) expect(cells).toContain(fact);
  });

  test('public IPv4: one address per NAT gateway and per ALB zone, priced per hour, per environment', () => {
    expect(PRICES.publicIpv4PerHour).toBe(0.005);
    const cells = row(/public IPv4/);
    envs.forEach((env, i) => {
      const addresses = publicIpv4Addresses(env);
      expect(addresses).toBe(env.natGateways + 2);
      expect(cells[2 + i]).toMatch(new RegExp(`^${addresses}\\b.*: ~${monthly(addresses * PRICES.publicIpv4PerHour)}$`));
    });
  });

  test('extended support adds the hourly difference for a whole month; the row states both monthly totals', () => {
    const extra = monthly(PRICES.eksExtendedPerHour - PRICES.eksStandardPerHour);
    const cells = row(/EKS extended support/);
    for (const i of [0, 1, 2]) expect(cells[2 + i]).toBe(`+${extra}`);
    expect(cells[5]).toContain(`~$${monthly(PRICES.eksExtendedPerHour)} instead of ~$${monthly(PRICES.eksStandardPerHour)}`);
  });

  test('keys: a destroyed environment schedules its key for deletion, the others keep it', () => {
    const cells = row(/KMS keys kept after teardown/);
    envs.forEach((env, i) => expect(cells[2 + i].startsWith('0')).toBe(env.dataRetention.removal === 'destroy'));
  });
});
