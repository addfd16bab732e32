import { type EnvironmentConfig, INSTANCE_VCPUS, nodeGroupMaxVcpus, platformConfig, quotaWarnings, validatePlatformConfig } from '../../config';
import { multiAccountConfig } from '../../config/examples/multi-account';

const dev = platformConfig.environments.find((e) => e.name === 'dev')!;

/** `count` more environments like dev in dev's region (CIDRs 10.5x.0.0/16), each with `natGateways` NAT gateways. */
function moreLikeDev(count: number, natGateways = dev.natGateways): EnvironmentConfig[] {
  return Array.from({ length: count }, (_, i) => ({
    ...dev,
    name: `extra${i}`,
    vpcCidr: `10.${50 + i}.0.0/16`,
    natGateways,
    workloads: dev.workloads.map((w) => (w.kind === 'service' ? { ...w, exposure: { kind: 'public' as const, host: `extra${i}.eu-west-1.example.com` } } : w)),
  }));
}

/** The default configuration without the other CI systems (they name every environment) and with more environments. */
function withMore(extra: EnvironmentConfig[]) {
  const { delivery: _delivery, ...rest } = platformConfig;
  return { ...rest, environments: [...platformConfig.environments, ...extra] };
}

describe('quotaWarnings: VPCs and Elastic IPs per account and region', () => {
  test('the default configurations reach no default quota', () => {
    expect(quotaWarnings(platformConfig)).toEqual([]);
    expect(quotaWarnings(multiAccountConfig)).toEqual([]);
  });

  test('a fourth environment in one region uses every VPC of the default quota (with the default VPC): warned, naming the quota', () => {
    const config = withMore(moreLikeDev(2));
    expect(() => validatePlatformConfig(config)).not.toThrow(); // a warning, never an error
    expect(quotaWarnings(config)).toEqual([
      'eu-west-1 in the deploying account: environments "dev", "staging", "extra0", "extra1" need 4 VPCs, 5 with the region\'s default VPC, all of the default quota "VPCs per Region" (vpc L-F678F1CE) of 5: one more fails; request an increase (Service Quotas) before deploying',
    ]);
  });

  test('a fifth exceeds it; the Elastic IPs of its NAT gateways exceed theirs', () => {
    const warnings = quotaWarnings(withMore(moreLikeDev(3, 2)));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/need 5 VPCs, 6 with the region's default VPC, which exceeds the default quota "VPCs per Region"/);
    expect(warnings[1]).toBe(
      'eu-west-1 in the deploying account: environments "dev", "staging", "extra0", "extra1", "extra2" need 8 Elastic IPs (one per NAT gateway), which exceeds the default quota "EC2-VPC Elastic IPs" (ec2 L-0263D0A3) of 5; request an increase (Service Quotas) before deploying',
    );
  });

  test('environments in other accounts or regions do not add up', () => {
    const spread = moreLikeDev(4).map((env, i) => ({ ...env, region: i % 2 === 0 ? 'eu-west-1' : 'eu-west-2' }));
    expect(quotaWarnings({ environments: spread })).toEqual([]);
    const accounts = moreLikeDev(5).map((env, i) => ({ ...env, account: `11112222333${i}` }));
    expect(quotaWarnings({ environments: accounts })).toEqual([]);
  });
});

describe('nodeGroupMaxVcpus: what the node groups need of "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"', () => {
  test('maxNodes times the vCPUs of the largest listed instance type', () => {
    expect(nodeGroupMaxVcpus({ cluster: { ...dev.cluster, nodeInstanceTypes: ['t4g.large'], maxNodes: 4 } })).toBe(8);
    expect(nodeGroupMaxVcpus({ cluster: { ...dev.cluster, nodeInstanceTypes: ['t4g.large', 't4g.xlarge'], maxNodes: 3 } })).toBe(12);
  });

  test('every instance type of the configurations has its vCPUs in the table; an unknown one gives undefined', () => {
    for (const env of platformConfig.environments) expect(env.cluster.nodeInstanceTypes.every((t) => INSTANCE_VCPUS[t] !== undefined)).toBe(true);
    expect(nodeGroupMaxVcpus({ cluster: { ...dev.cluster, nodeInstanceTypes: ['x9z.huge'] } })).toBeUndefined();
  });

  test('the default configuration: dev and staging 8 each (eu-west-1: 16), prod 18 (eu-central-1)', () => {
    expect(Object.fromEntries(platformConfig.environments.map((e) => [e.name, nodeGroupMaxVcpus(e)]))).toEqual({ dev: 8, staging: 8, prod: 18 });
  });
});
