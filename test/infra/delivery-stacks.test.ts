/**
 * What each delivery deploys (infra/names.ts: sharedStackNames, environmentDeliveryStackNames; `npm run
 * deploy:stacks`) against the stacks infra/app.ts really creates: every stack is deployed by exactly one delivery, and
 * in the multi-account layout each delivery's stacks are all in the account (and region) of the role that deploys them.
 */
import { Token } from 'aws-cdk-lib';
import { type PlatformConfig, validatePlatformConfig } from '../../config';
import { CONFIGURATIONS } from '../../config/configurations';
import { MULTI_ACCOUNT_EXAMPLE_ACCOUNTS as ACCOUNTS, multiAccountConfig } from '../../config/examples/multi-account';
import { buildInfraApp } from '../../infra/app';
import { environmentAccountStackNames, environmentDeliveryStackNames, sharedStackNames } from '../../infra/names';
import { LAMBDA_FIXTURE, withPublicHost } from './helpers';

/** dev and staging share one account, in two regions: the account's GitHub stack goes with dev (its region). */
const sharedNonProdAccount: PlatformConfig = {
  ...multiAccountConfig,
  certificates: { ...multiAccountConfig.certificates, 'eu-central-1': { domainName: 'app.example.com', subjectAlternativeNames: ['staging.example.com'] } },
  environments: multiAccountConfig.environments.map((env) =>
    env.name === 'staging' ? { ...env, account: ACCOUNTS.dev, region: 'eu-central-1', workloads: withPublicHost(env.workloads, 'staging.example.com') } : env,
  ),
};

const cases: [string, PlatformConfig][] = [...Object.entries(CONFIGURATIONS), ['dev and staging in one account, two regions', sharedNonProdAccount]];

/** Stack name → "account/region" ("?" for an account-agnostic stack). */
function stacksOf(config: PlatformConfig): Map<string, string> {
  const { stacks } = buildInfraApp(validatePlatformConfig(config), { outdir: '/nonexistent', lambdaCodeDir: LAMBDA_FIXTURE, databaseRoleCodeDir: LAMBDA_FIXTURE });
  return new Map(stacks.map((s) => [s.stackName, `${Token.isUnresolved(s.account) ? '?' : s.account}/${s.region}`]));
}

describe.each(cases)('%s', (_name, config) => {
  let stacks: Map<string, string>;
  beforeAll(() => {
    stacks = stacksOf(config);
  });

  test('every stack is deployed by exactly one delivery: deploy-shared or one environment', () => {
    const deliveries = [sharedStackNames(config), ...config.environments.map((env) => environmentDeliveryStackNames(config, env))];
    const deployed = deliveries.flat();
    expect([...deployed].sort()).toEqual([...stacks.keys()].sort());
    expect(new Set(deployed).size).toBe(deployed.length);
  });

  test("an environment's delivery deploys only stacks of its own account and region (what its deploy role may reach)", () => {
    for (const env of config.environments) {
      for (const stack of environmentDeliveryStackNames(config, env)) {
        expect([env.name, stack, stacks.get(stack)]).toEqual([env.name, stack, `${env.account ?? '?'}/${env.region}`]);
      }
    }
  });

  test('the shared stacks are all in the shared-services account', () => {
    for (const stack of sharedStackNames(config)) expect([stack, stacks.get(stack)?.split('/')[0]]).toEqual([stack, config.sharedServicesAccount ?? '?']);
  });
});

test('single account: an environment delivery deploys its own stack only', () => {
  for (const env of CONFIGURATIONS.default.environments) expect(environmentAccountStackNames(CONFIGURATIONS.default, env)).toEqual([]);
});

test("an account's GitHub stack goes with the environment of its region, not with the other region's", () => {
  const [dev, staging] = sharedNonProdAccount.environments;
  expect(environmentDeliveryStackNames(sharedNonProdAccount, dev)).toEqual(['platform-github-dev-staging', 'platform-dev-eu-west-1', 'platform-dev', 'platform-dev-runner']);
  expect(environmentDeliveryStackNames(sharedNonProdAccount, staging)).toEqual(['platform-staging-eu-central-1', 'platform-staging', 'platform-staging-runner']);
  expect(environmentDeliveryStackNames(sharedNonProdAccount, staging, false)).toEqual(['platform-staging-eu-central-1', 'platform-staging']);
});
