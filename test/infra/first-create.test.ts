/**
 * Issue 23, item 3: a failed first create must be retryable. The protections that block a rollback (termination
 * protection; deletion protection of the user pool and of a production database) are off while a stack is being
 * created (`creating`, set by `npm run deploy:stacks` from the stacks' state) and on otherwise, and
 * `protectedStacks` names exactly the stacks that have them.
 * Item 9: every value of the shared stacks reaches the environment stack through the relay, whose description
 * changes with the SharedValuesNonce parameter that `npm run deploy:stacks` sets anew on each run.
 */
import { platformConfig, validatePlatformConfig } from '../../config';
import { buildInfraApp } from '../../infra/app';
import { names, protectedStacks, SHARED_VALUES_NONCE } from '../../infra/names';
import { LAMBDA_FIXTURE, platform, resourcesOfType, synthesizeConfig } from './helpers';

type Json = Record<string, any>;
const config = validatePlatformConfig(platformConfig);
const options = { outdir: '/nonexistent', lambdaCodeDir: LAMBDA_FIXTURE, databaseRoleCodeDir: LAMBDA_FIXTURE };

/** What blocks a rollback, per stack, in a synthesized assembly. */
function protections(read: (stack: string) => Json, terminationProtected: (stack: string) => boolean, stacks: string[]): Record<string, string[]> {
  return Object.fromEntries(
    stacks.map((stack) => {
      const json = read(stack);
      const found = [
        ...(terminationProtected(stack) ? ['termination protection'] : []),
        ...resourcesOfType(json, 'AWS::Cognito::UserPool')
          .filter(([, r]) => r.Properties.DeletionProtection === 'ACTIVE')
          .map(() => 'user pool deletion protection'),
        ...resourcesOfType(json, 'AWS::RDS::DBInstance')
          .filter(([, r]) => r.Properties.DeletionProtection === true)
          .map(() => 'database deletion protection'),
      ];
      return [stack, found];
    }),
  );
}

describe('protections during a first create', () => {
  let stackNames: string[];
  let regions: Map<string, string>;
  let protectedByDefault: Set<string>;
  let creatingAll: Record<string, string[]>;
  beforeAll(() => {
    // Stacks, regions and termination protection as the cloud assembly records them (what the CDK CLI deploys).
    const shipped = platform();
    stackNames = shipped.stackNames;
    regions = new Map(stackNames.map((s) => [s, shipped.stack(s).region]));
    protectedByDefault = new Set(stackNames.filter((s) => shipped.stack(s).terminationProtection));
    const creating = synthesizeConfig(config, 'creating-all', { creating: stackNames });
    expect(creating.findings).toEqual([]);
    creatingAll = protections(
      (s) => creating.json(s),
      (s) => creating.stack(s).terminationProtection,
      stackNames,
    );
  });

  test('by default (a plain cdk deploy, npm run synth): prod and the user pool are protected, as before', () => {
    const byDefault = protections(
      (s) => platform().json(s),
      (s) => protectedByDefault.has(s),
      stackNames,
    );
    expect(byDefault[names.identityStack(config)]).toEqual(['user pool deletion protection']);
    expect(byDefault['platform-prod']).toEqual(['termination protection', 'database deletion protection']);
    // protectedStacks (what deploy:stacks checks before deploying) names exactly the stacks with a protection.
    const withProtection = Object.entries(byDefault)
      .filter(([, found]) => found.length > 0)
      .map(([stack]) => stack);
    expect(
      protectedStacks(config)
        .map((s) => s.name)
        .sort(),
    ).toEqual(withProtection.sort());
    for (const { name, region } of protectedStacks(config)) expect([name, region]).toEqual([name, regions.get(name)]);
  });

  test('while being created: nothing that would keep a failed create from rolling back', () => {
    for (const stack of stackNames) expect([stack, creatingAll[stack]]).toEqual([stack, []]);
  });

  test('only the stacks named are created without protections', () => {
    const { stacks } = buildInfraApp(config, { ...options, creating: [names.identityStack(config)] });
    expect(stacks.find((s) => s.stackName === 'platform-prod')!.terminationProtection).toBe(true);
  });
});

describe('a changed shared value reaches the environment on its next deploy (item 9)', () => {
  test.each(platformConfig.environments.map((env) => names.environmentStack(platformConfig, env)))(
    '%s reads the shared stacks through its relay only, and the relay changes on every deploy',
    (stack) => {
      const json = platform().json(stack);
      const readers = Object.entries(json.Resources as Json)
        .filter(([, r]) => /Fn::GetStackOutput|Fn::ImportValue/.test(JSON.stringify(r.Properties ?? {})))
        .map(([id]) => id);
      // CDK's cross-region reader (single account, another region than the pool's) writes SSM parameters it reads back.
      expect(readers.filter((id) => !/^ExportsReader/.test(id))).toEqual(['SharedValues']);
      expect(json.Parameters[SHARED_VALUES_NONCE]).toMatchObject({ Type: 'String' });
      expect(JSON.stringify(json.Resources.SharedValues.Properties.Description)).toContain(JSON.stringify({ Ref: SHARED_VALUES_NONCE }));
      // The API's token check uses the relayed client IDs: a replaced client updates it too.
      const [, authorizer] = resourcesOfType(json, 'AWS::ApiGatewayV2::Authorizer')[0];
      for (const audience of authorizer.Properties.JwtConfiguration.Audience) expect(JSON.stringify(audience)).toContain('"SharedValues","Value"');
    },
  );
});
