import { certificateCovers, environmentByName, findTarget, parseCidr, platformConfig, validatePlatformConfig } from '../../config';
import type { EnvironmentConfig, PlatformConfig, ServiceWorkload } from '../../config';
import { problemsOf } from './support';

/** An environment with its `web` workload changed (a service: the sample's public one). */
function withWeb(env: EnvironmentConfig, change: (web: ServiceWorkload) => Record<string, unknown>): Record<string, unknown> {
  return { ...env, workloads: env.workloads.map((w) => (w.name === 'web' ? change(w as ServiceWorkload) : w)) };
}

/** The default configuration with one environment changed. */
function withEnvironment(name: string, change: (env: EnvironmentConfig) => Record<string, unknown>): PlatformConfig {
  return {
    ...platformConfig,
    environments: platformConfig.environments.map((env) => (env.name === name ? (change(env) as unknown as EnvironmentConfig) : env)),
  };
}

describe('validatePlatformConfig', () => {
  test('accepts the default configuration: dev and staging share a region, prod is in another', () => {
    expect(validatePlatformConfig(platformConfig)).toBe(platformConfig);
    const regions = Object.fromEntries(platformConfig.environments.map((e) => [e.name, e.region]));
    expect(regions.dev).toBe(regions.staging);
    expect(regions.prod).not.toBe(regions.dev);
  });

  test('accepts prod in the same region as dev and staging', () => {
    const sameRegion = withEnvironment('prod', (env) => ({
      ...withWeb(env, (web) => ({ ...web, exposure: { kind: 'public', host: 'app.eu-west-1.example.com' } })),
      region: 'eu-west-1',
    }));
    expect(() => validatePlatformConfig(sameRegion)).not.toThrow();
  });

  test('reserved concurrency is opt-in: no environment of the default configuration reserves any, and 1 to 900 are accepted', () => {
    expect(platformConfig.environments.filter((e) => e.apiReservedConcurrency !== undefined).map((e) => e.name)).toEqual([]);
    expect(() => validatePlatformConfig(withEnvironment('prod', (env) => ({ ...env, apiReservedConcurrency: 50 })))).not.toThrow();
  });

  test("fails when the API function's reserved concurrency is not an integer from 1 to 900, naming the environment and value", () => {
    const problems = problemsOf(withEnvironment('dev', (env) => ({ ...env, apiReservedConcurrency: 0 })));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/environment "dev": apiReservedConcurrency .*0/);
  });

  test('adding an environment is one entry', () => {
    const qa = {
      ...platformConfig.environments[0],
      ...withWeb(platformConfig.environments[0], (web) => ({ ...web, exposure: { kind: 'public', host: 'qa.eu-west-1.example.com' } })),
      name: 'qa',
      vpcCidr: '10.40.0.0/16',
    } as EnvironmentConfig;
    expect(() => validatePlatformConfig({ ...platformConfig, environments: [...platformConfig.environments, qa] })).not.toThrow();
  });

  test('fails when a region is unknown, naming the environment, the field, the value and the allowed regions', () => {
    const [problem] = problemsOf(withEnvironment('staging', (env) => ({ ...env, region: 'eu-middle-9' })));
    expect(problem).toContain('environment "staging"');
    expect(problem).toContain('region is "eu-middle-9"');
    expect(problem).toContain('not a known AWS region');
    expect(problem).toContain('eu-west-1');
  });

  test('fails when the load balancer name (project-environment-ingress) would exceed the 32 characters ELB allows', () => {
    const problems = problemsOf({ ...platformConfig, project: 'averyveryverylongprojectname' });
    expect(problems).toContain(
      'environment "staging": the load balancer name "averyveryverylongprojectname-staging-ingress" (project-environment-ingress) has 44 characters; Elastic Load Balancing allows at most 32: shorten project or the environment name',
    );
  });

  test('fails when prod has no deletion protection', () => {
    const problems = problemsOf(withEnvironment('prod', (env) => ({ ...env, dataRetention: { ...env.dataRetention, deletionProtection: false } })));
    expect(problems).toEqual(['environment "prod": dataRetention.deletionProtection is false; production environments must have deletion protection (true)']);
  });

  test('fails when prod would destroy its data on removal', () => {
    const problems = problemsOf(withEnvironment('prod', (env) => ({ ...env, dataRetention: { ...env.dataRetention, removal: 'destroy' } })));
    expect(problems.join('\n')).toMatch(/environment "prod": dataRetention.removal is "destroy"; .*"snapshot" or "retain"/);
  });

  test('fails when prod runs fewer than two replicas', () => {
    const problems = problemsOf(withEnvironment('prod', (env) => withWeb(env, (web) => ({ ...web, minReplicas: 1 }))));
    expect(problems.join('\n')).toContain('environment "prod", workload "web": minReplicas is 1 in production; production needs at least 2 replicas');
  });

  test('fails when VPC CIDRs overlap, naming both environments', () => {
    const problems = problemsOf(withEnvironment('staging', (env) => ({ ...env, vpcCidr: '10.10.128.0/17' })));
    expect(problems).toEqual([expect.stringContaining('environment "staging": vpcCidr "10.10.128.0/17" overlaps environment "dev" (10.10.0.0/16)')]);
  });

  test('fails when a VPC CIDR is malformed', () => {
    const problems = problemsOf(withEnvironment('dev', (env) => ({ ...env, vpcCidr: '10.10.0.1/16' })));
    expect(problems.join('\n')).toContain('environment "dev": vpcCidr is "10.10.0.1/16"; expected an IPv4 CIDR');
  });

  test('fails when the hostname is not covered by the region certificate', () => {
    const problems = problemsOf(withEnvironment('dev', (env) => withWeb(env, (web) => ({ ...web, exposure: { kind: 'public', host: 'dev.example.com' } }))));
    expect(problems).toEqual(['environment "dev", workload "web": exposure.host "dev.example.com" is not covered by the region\'s certificate (*.eu-west-1.example.com)']);
  });

  test('fails when a wildcard would have to cover two labels', () => {
    const problems = problemsOf(withEnvironment('dev', (env) => withWeb(env, (web) => ({ ...web, exposure: { kind: 'public', host: 'a.dev.eu-west-1.example.com' } }))));
    expect(problems.join('\n')).toContain("is not covered by the region's certificate");
  });

  test('fails when the region of an environment has no certificate', () => {
    const problems = problemsOf(withEnvironment('prod', (env) => ({ ...env, region: 'us-east-1' })));
    expect(problems.join('\n')).toContain('environment "prod": region "us-east-1" has no entry in certificates');
  });

  test('fails when a required field is missing, naming it', () => {
    const problems = problemsOf(
      withEnvironment('dev', (env) => {
        const { database: _database, ...rest } = env;
        return rest;
      }),
    );
    expect(problems).toEqual(['environment "dev": database is missing; it is required']);
  });

  test('fails when a nested required field is missing', () => {
    const problems = problemsOf(withEnvironment('dev', (env) => withWeb(env, (web) => ({ ...web, exposure: undefined }))));
    expect(problems).toEqual(['environment "dev", workload "web": exposure is missing; it is required']);
  });

  test('fails when the public endpoint has no CIDR or is open to the internet', () => {
    const none = problemsOf(withEnvironment('dev', (env) => ({ ...env, cluster: { ...env.cluster, publicAccessCidrs: [] } })));
    expect(none.join('\n')).toContain('environment "dev": cluster.publicAccessCidrs is []; a public endpoint needs at least one CIDR');
    const open = problemsOf(withEnvironment('dev', (env) => ({ ...env, cluster: { ...env.cluster, publicAccessCidrs: ['0.0.0.0/0'] } })));
    expect(open.join('\n')).toContain('cluster.publicAccessCidrs[0] is "0.0.0.0/0"; the public endpoint must be limited');
  });

  test('accepts a private-only endpoint without public CIDRs', () => {
    const privateOnly = withEnvironment('dev', (env) => ({ ...env, cluster: { ...env.cluster, endpointAccess: 'private', publicAccessCidrs: [] } }));
    expect(() => validatePlatformConfig(privateOnly)).not.toThrow();
  });

  test('fails when the endpoint access mode is unknown, listing the allowed modes', () => {
    const problems = problemsOf(withEnvironment('dev', (env) => ({ ...env, cluster: { ...env.cluster, endpointAccess: 'public' } })));
    expect(problems).toEqual(['environment "dev": cluster.endpointAccess is "public"; allowed: "public-and-private", "private"']);
  });

  test('fails when the Kubernetes version has no row of pinned add-ons, listing the rows', () => {
    const problems = problemsOf(withEnvironment('dev', (env) => ({ ...env, cluster: { ...env.cluster, kubernetesVersion: '1.34' } })));
    expect(problems).toEqual(['environment "dev": cluster.kubernetesVersion is "1.34"; allowed: "1.35", "1.36"']);
  });

  test('accepts 1.36 (the next minor: an upgrade is one change of kubernetesVersion)', () => {
    expect(() => validatePlatformConfig(withEnvironment('prod', (env) => ({ ...env, cluster: { ...env.cluster, kubernetesVersion: '1.36' } })))).not.toThrow();
  });

  describe('cluster.adminPrincipalArn', () => {
    const withAdmin = (value: unknown) => withEnvironment('dev', (env) => ({ ...env, cluster: { ...env.cluster, adminPrincipalArn: value } }));

    test.each([
      'arn:aws:iam::111122223333:role/PlatformAdmin',
      'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef',
      'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef',
      'arn:aws:iam::111122223333:user/ops/alice',
      'arn:aws-cn:iam::111122223333:role/Admin',
    ])('accepts the full principal ARN %s (path included)', (arn) => {
      expect(() => validatePlatformConfig(withAdmin(arn))).not.toThrow();
    });

    test('is optional: without it there is no admin entry (the default configuration has none)', () => {
      expect(platformConfig.environments.map((e) => e.cluster.adminPrincipalArn)).toEqual(platformConfig.environments.map(() => undefined));
      expect(() => validatePlatformConfig(platformConfig)).not.toThrow();
    });

    test.each([
      ['a bare role name', 'PlatformAdmin'],
      ['an assumed-role session', 'arn:aws:sts::111122223333:assumed-role/Admin/alice'],
      ['a group', 'arn:aws:iam::111122223333:group/Admins'],
      ['a short account', 'arn:aws:iam::1234:role/Admin'],
      ['a wildcard', 'arn:aws:iam::111122223333:role/*'],
      ['a trailing slash', 'arn:aws:iam::111122223333:role/aws-reserved/'],
      ['a number', 42],
    ])('fails for %s, naming the environment, the field, the value and the allowed forms', (_what, value) => {
      const problems = problemsOf(withAdmin(value));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(`environment "dev": cluster.adminPrincipalArn is ${JSON.stringify(value)}; expected the full ARN of an IAM role or user, path included`);
      expect(problems[0]).toContain('or leave it out for no admin entry');
    });

    test('the old adminRoleName field is refused with its replacement named', () => {
      const problems = problemsOf(withEnvironment('dev', (env) => ({ ...env, cluster: { ...env.cluster, adminRoleName: 'PlatformAdmin' } })));
      expect(problems).toEqual([
        'environment "dev": cluster.adminRoleName is "PlatformAdmin"; it was replaced by cluster.adminPrincipalArn, the role\'s full ARN (path included), or nothing for no admin entry',
      ]);
    });
  });

  test('fails when node counts are out of order', () => {
    const problems = problemsOf(withEnvironment('dev', (env) => ({ ...env, cluster: { ...env.cluster, minNodes: 3, desiredNodes: 2 } })));
    expect(problems).toEqual(['environment "dev": cluster node counts are min 3, desired 2, max 4; they must satisfy min <= desired <= max']);
  });

  test('fails when the account is not 12 digits', () => {
    const problems = problemsOf(withEnvironment('dev', (env) => ({ ...env, account: '1234' })));
    expect(problems.join('\n')).toContain('environment "dev": account is "1234"; expected a 12-digit AWS account ID');
  });

  test('fails when backup retention is out of range', () => {
    const problems = problemsOf(withEnvironment('dev', (env) => ({ ...env, database: { ...env.database, backupRetentionDays: 0 } })));
    expect(problems).toEqual(['environment "dev": database.backupRetentionDays is 0; expected a whole number from 1 to 35']);
  });

  test('fails when there are more NAT gateways than availability zones', () => {
    const problems = problemsOf(withEnvironment('prod', (env) => ({ ...env, natGateways: 3 })));
    expect(problems).toEqual(['environment "prod": natGateways is 3; expected a whole number from 1 to 2']);
  });

  test('fails when a certificate alternative name is malformed, naming the field and the value received', () => {
    const problems = problemsOf({
      ...platformConfig,
      certificates: { ...platformConfig.certificates, 'eu-central-1': { domainName: 'app.example.com', subjectAlternativeNames: ['*.Bad_Name.example.com'] } },
    });
    expect(problems).toEqual(['certificate "eu-central-1": subjectAlternativeNames[0] is "*.Bad_Name.example.com"; expected a hostname, optionally with a leading "*."']);
  });

  test('fails when the deploy branch is not a valid Git branch', () => {
    const problems = problemsOf(withEnvironment('dev', (env) => ({ ...env, deployFrom: { kind: 'branch', branch: 'feature..x' } })));
    expect(problems.join('\n')).toContain('deployFrom.branch is "feature..x"');
  });

  test('fails when environment names repeat', () => {
    const problems = problemsOf({ ...platformConfig, environments: [...platformConfig.environments, { ...platformConfig.environments[0], vpcCidr: '10.50.0.0/16' }] });
    expect(problems.join('\n')).toContain('environment "dev": name is used twice');
  });

  test('fails when there is no environment', () => {
    expect(problemsOf({ ...platformConfig, environments: [] })).toEqual(['platform: environments is missing or empty; at least one environment is required']);
  });

  test('fails when the Cognito domain prefix uses a reserved word', () => {
    const problems = problemsOf({ ...platformConfig, identity: { ...platformConfig.identity, domainPrefix: 'my-cognito-login' } });
    expect(problems.join('\n')).toContain('identity.domainPrefix is "my-cognito-login"; Cognito reserves');
  });

  test('fails when a certificate name is outside the hosted zone', () => {
    const problems = problemsOf({ ...platformConfig, certificates: { ...platformConfig.certificates, 'eu-central-1': { domainName: 'app.example.org' } } });
    expect(problems.join('\n')).toContain('certificate "eu-central-1": name "app.example.org" is outside the hosted zone "example.com"');
  });

  test('fails when a portable target clashes with an environment name', () => {
    const problems = problemsOf({ ...platformConfig, portableTargets: [{ ...platformConfig.portableTargets[0], name: 'dev' }] });
    expect(problems.join('\n')).toContain('portable target "dev": name clashes with the environment');
  });

  describe('delivery (GitLab, Bitbucket, Jenkins trusts)', () => {
    const delivery = platformConfig.delivery!;
    const withDelivery = (change: Record<string, unknown>) => ({ ...platformConfig, delivery: { ...delivery, ...change } as PlatformConfig['delivery'] });

    test('is optional: GitHub Actions only', () => {
      const { delivery: _omitted, ...githubOnly } = platformConfig;
      expect(() => validatePlatformConfig(githubOnly)).not.toThrow();
    });

    test('fails when the GitLab project path or URL would widen the trust, naming the value', () => {
      expect(problemsOf(withDelivery({ gitlab: { url: 'https://gitlab.com', projectPath: 'example-org/*' } }))).toEqual([
        'platform: delivery.gitlab.projectPath is "example-org/*"; expected the full project path such as "group/project" (no wildcard)',
      ]);
      expect(problemsOf(withDelivery({ gitlab: { url: 'http://gitlab.example.com/', projectPath: 'a/b' } }))).toEqual([
        'platform: delivery.gitlab.url is "http://gitlab.example.com/"; expected the GitLab instance URL, https and no trailing slash (e.g. "https://gitlab.com")',
      ]);
    });

    test('fails when the release tag pattern is a bare or inner wildcard', () => {
      for (const pattern of ['*', 'v*.*', '']) {
        expect(problemsOf(withDelivery({ releaseTagPattern: pattern })).join('\n')).toContain(
          `delivery.releaseTagPattern is ${JSON.stringify(pattern)}; expected a tag glob such as "v*"`,
        );
      }
    });

    test('fails when a Bitbucket UUID lacks its braces or names no environment', () => {
      const bitbucket = {
        ...delivery.bitbucket!,
        repositoryUuid: '0a1b',
        deploymentEnvironmentUuids: { ...delivery.bitbucket!.deploymentEnvironmentUuids, qa: '{00000000-0000-4000-8000-000000000000}' },
      };
      expect(problemsOf(withDelivery({ bitbucket }))).toEqual([
        'platform: delivery.bitbucket.repositoryUuid is "0a1b"; expected a UUID in braces such as "{0a1b…}"',
        'platform: delivery.bitbucket.deploymentEnvironmentUuids has "qa", which is no environment; allowed: "images", "dev", "staging", "prod"',
      ]);
    });

    test('fails when a Jenkins agent role name is not an IAM role name', () => {
      const jenkins = { agentRoleNames: { ...delivery.jenkins!.agentRoleNames, prod: 'arn:aws:iam::1:role/x', qa: 'x' } };
      expect(problemsOf(withDelivery({ jenkins }))).toEqual([
        'platform: delivery.jenkins.agentRoleNames.prod is "arn:aws:iam::1:role/x"; expected an IAM role name',
        'platform: delivery.jenkins.agentRoleNames has "qa", which is no environment; allowed: "images", "dev", "staging", "prod"',
      ]);
    });
  });

  test('reports every problem at once', () => {
    const problems = problemsOf(withEnvironment('prod', (env) => ({ ...env, region: 'mars-1', dataRetention: { deletionProtection: false, removal: 'destroy' } })));
    expect(problems.length).toBeGreaterThanOrEqual(3);
  });
});

describe('environmentByName', () => {
  test('finds an environment', () => {
    expect(environmentByName(platformConfig, 'staging').name).toBe('staging');
  });

  test('fails when the environment is unknown, listing the allowed names', () => {
    expect(() => environmentByName(platformConfig, 'qa')).toThrow('unknown environment "qa"; allowed: "dev", "staging", "prod"');
  });
});

describe('certificateCovers', () => {
  test('a wildcard covers exactly one label; exact names match', () => {
    expect(certificateCovers('*.example.com', [], 'app.example.com')).toBe(true);
    expect(certificateCovers('*.example.com', [], 'example.com')).toBe(false);
    expect(certificateCovers('*.example.com', [], 'a.b.example.com')).toBe(false);
    expect(certificateCovers('example.com', ['app.example.com'], 'app.example.com')).toBe(true);
  });
});

describe('parseCidr', () => {
  test('gives the first and last address', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual([10 * 2 ** 24, 11 * 2 ** 24 - 1]);
    expect(parseCidr('192.168.1.0/24')).toEqual([3232235776, 3232236031]);
  });

  test('rejects malformed or unaligned input', () => {
    expect(parseCidr('10.0.0.256/24')).toBeUndefined();
    expect(parseCidr('10.0.0.1/24')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr(42)).toBeUndefined();
  });
});

describe('findTarget', () => {
  test('finds an AWS environment or a portable target by name, and nothing else', () => {
    expect(findTarget(platformConfig, 'prod')).toMatchObject({ kind: 'aws', name: 'prod', env: { region: 'eu-central-1' } });
    expect(findTarget(platformConfig, 'generic')).toMatchObject({ kind: 'portable', name: 'generic', target: { ingressClassName: 'nginx' } });
    expect(findTarget(platformConfig, 'qa')).toBeUndefined();
  });
});
