import { platformConfig, validatePlatformConfig } from '../../config';
import type { PlatformConfig } from '../../config';
import { CONFIGURATIONS, configurationByName, configurationFromArgs, SYNTHESIZED_CONFIGURATIONS } from '../../config/configurations';
import { MULTI_ACCOUNT_EXAMPLE_ACCOUNTS, multiAccountConfig } from '../../config/examples/multi-account';
import { problemsOf } from './support';

const accounts: Record<string, string | undefined> = { dev: '222233334444', staging: '333344445555', prod: '444455556666' };

/** The default configuration with the given environment accounts and shared-services account. */
function withAccounts(envAccounts: Record<string, string | undefined>, shared: string | undefined): PlatformConfig {
  return {
    ...platformConfig,
    sharedServicesAccount: shared,
    environments: platformConfig.environments.map((env) => ({ ...env, account: envAccounts[env.name] })),
  };
}

describe('accounts', () => {
  test('the default configuration names no account (single account, account-agnostic); the example names all four', () => {
    expect(platformConfig.sharedServicesAccount).toBeUndefined();
    expect(platformConfig.environments.map((env) => env.account)).toEqual([undefined, undefined, undefined]);
    expect(validatePlatformConfig(multiAccountConfig)).toBe(multiAccountConfig);
    expect(multiAccountConfig.sharedServicesAccount).toBe(MULTI_ACCOUNT_EXAMPLE_ACCOUNTS.shared);
    expect(new Set([multiAccountConfig.sharedServicesAccount, ...multiAccountConfig.environments.map((env) => env.account)]).size).toBe(4);
  });

  test('accepts dev and staging sharing a non-production account', () => {
    expect(() => validatePlatformConfig(withAccounts({ ...accounts, staging: accounts.dev }, '111122223333'))).not.toThrow();
  });

  test('fails when the shared-services account is not 12 digits', () => {
    expect(problemsOf(withAccounts(accounts, '1111-2222-3333'))).toEqual([
      'platform: sharedServicesAccount is "1111-2222-3333"; expected a 12-digit AWS account ID, or none for the single-account layout',
    ]);
  });

  test('fails when an environment account is not 12 digits', () => {
    expect(problemsOf(withAccounts({ ...accounts, dev: '22223333444' }, '111122223333')).join('\n')).toContain(
      'environment "dev": account is "22223333444"; expected a 12-digit AWS account ID',
    );
  });

  test('fails when some environments name an account and others do not', () => {
    const problems = problemsOf(withAccounts({ ...accounts, staging: undefined }, '111122223333'));
    expect(problems).toEqual([
      'platform: environments "staging" name no account while "dev", "prod" do; either every environment names its account (multi-account layout) or none does (single account)',
    ]);
  });

  test('fails when the environments name accounts but the shared-services account is missing, and the reverse', () => {
    expect(problemsOf(withAccounts(accounts, undefined))).toEqual([
      'platform: sharedServicesAccount is missing; the environments name accounts, so the shared services (Cognito, ECR, CI trust) need an account too',
    ]);
    expect(problemsOf(withAccounts({}, '111122223333'))).toEqual([
      'platform: sharedServicesAccount is "111122223333" but no environment names an account; name every environment\'s account, or remove sharedServicesAccount for the single-account layout',
    ]);
  });

  test('fails when production shares its account with another environment (AWS advises an account of its own)', () => {
    const problems = problemsOf(withAccounts({ ...accounts, staging: accounts.prod }, '111122223333'));
    expect(problems).toEqual([
      'environment "prod": account "444455556666" is also the account of "staging"; a production environment needs an account of its own (AWS\'s multi-account guidance), so nothing done in another environment can reach it',
    ]);
  });

  test('fails when production is in the shared-services account', () => {
    expect(problemsOf(withAccounts(accounts, accounts.prod))).toEqual([
      'environment "prod": account "444455556666" is the sharedServicesAccount; a production environment needs an account of its own, apart from the shared services',
    ]);
  });
});

describe('configurations', () => {
  test('--config selects a configuration at the entry point; the default without it', () => {
    expect(configurationFromArgs([]).config).toBe(platformConfig);
    expect(configurationFromArgs(['--env', 'dev', '--config', 'multi-account'])).toEqual({ name: 'multi-account', config: multiAccountConfig, rest: ['--env', 'dev'] });
    expect(configurationFromArgs(['--config=multi-account']).config).toBe(multiAccountConfig);
  });

  test('fails on an unknown configuration name or a missing one, listing the names', () => {
    expect(() => configurationByName('prod-only')).toThrow('unknown configuration "prod-only"; allowed: "default", "multi-account", "local", "local-canary"');
    expect(() => configurationByName('toString')).toThrow('unknown configuration "toString"');
    expect(() => configurationFromArgs(['--config'])).toThrow('--config needs a name; allowed: "default", "multi-account", "local", "local-canary"');
  });

  // CI synthesizes only SYNTHESIZED_CONFIGURATIONS: any other configuration must add nothing to the cloud side.
  test.each(Object.keys(CONFIGURATIONS).filter((name) => !SYNTHESIZED_CONFIGURATIONS.includes(name)))(
    '%s has the infrastructure of a synthesized configuration (it differs only in its portable targets)',
    (name) => {
      const cloudSide = ({ portableTargets: _targets, ...rest }: PlatformConfig) => rest;
      const same = SYNTHESIZED_CONFIGURATIONS.filter((s) => JSON.stringify(cloudSide(CONFIGURATIONS[s])) === JSON.stringify(cloudSide(CONFIGURATIONS[name])));
      expect([name, same.length]).toEqual([name, 1]);
    },
  );
});
