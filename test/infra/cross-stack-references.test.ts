/**
 * Cross-stack references that would lock routine changes. A value another stack imports (Fn::ImportValue, or CDK's
 * cross-region export writer) cannot change: "Cannot update export ... as it is in use by ...". Replacing the
 * certificate (a changed name list) or an app client would then fail the shared stack's update. These values are
 * read with Fn::GetStackOutput instead: a weak reference, resolved when the consuming stack deploys
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getstackoutput.html;
 * the lock: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-importvalue.html).
 * The user pool stays a strong reference on purpose: replacing it would lose every user.
 */
import { environmentStackName, platformConfig } from '../../config';
import { platform, relayedOutput } from './helpers';

const p = platform();
const envStacks = platformConfig.environments.map((env) => [env.name, env, environmentStackName(platformConfig.project, env.name)] as const);
const exportsOf = (stack: string) =>
  Object.values((p.json(stack).Outputs ?? {}) as Record<string, { Export?: { Name: string } }>).flatMap((o) => (o.Export ? [o.Export.Name] : []));
/** The arguments of every use of one intrinsic function anywhere in a template. */
const intrinsics = (value: unknown, name: string): unknown[] =>
  value && typeof value === 'object'
    ? [...(name in (value as object) ? [(value as Record<string, unknown>)[name]] : []), ...Object.values(value as object).flatMap((v) => intrinsics(v, name))]
    : [];

describe('weak references where a replacement must not be blocked', () => {
  test.each(envStacks)('%s reads the certificate ARN, both app client IDs and the client secret ARN with Fn::GetStackOutput', (name, env, stack) => {
    const json = p.json(stack);
    const weak = intrinsics(json, 'Fn::GetStackOutput') as { StackName: string; Region: string; OutputName: string }[];
    const fromShared = weak.filter((w) => w.StackName === `${platformConfig.project}-shared-${env.region}`);
    const fromIdentity = weak.filter((w) => w.StackName === `${platformConfig.project}-identity`);
    expect(fromShared.map((w) => w.OutputName)).toEqual(expect.arrayContaining([expect.stringMatching(/Certificate/)]));
    expect(new Set(fromIdentity.map((w) => w.OutputName.replace(/[0-9A-F]{8,}$/, '')))).toEqual(
      new Set([`PublishOutputRefUserPoolAlbClient${name}`, `PublishOutputRefUserPoolApiClient${name}`, `PublishOutputRefAlbClientSecret${name}`]),
    );
    for (const w of weak) expect(w.Region).toBe(w.StackName === `${platformConfig.project}-identity` ? platformConfig.identity.region : env.region);
    // The certificate output of the contract is that weak reference, relayed through the stack's SSM parameter.
    expect(json.Resources.SharedValues.Type).toBe('AWS::SSM::Parameter');
    expect(relayedOutput(json, 'certificateArn')).toEqual({ 'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringMatching(/Certificate/) }) });
  });

  // CloudFormation takes Fn::GetStackOutput in resource properties only, not in an output's value (cfn-lint E1033,
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getstackoutput.html).
  test.each(p.stackNames)('%s: no output value holds Fn::GetStackOutput', (stack) => {
    expect(intrinsics(p.json(stack).Outputs ?? {}, 'Fn::GetStackOutput')).toEqual([]);
  });

  test('no stack exports the certificate, an app client or a client secret', () => {
    const locked = p.stackNames.flatMap(exportsOf).filter((e) => /Certificate|AlbClient|ClientSecret/.test(e));
    expect(locked).toEqual([]);
  });

  test('the user pool stays a strong reference (replacing it loses every user, so being blocked is right)', () => {
    expect(exportsOf(`${platformConfig.project}-identity`).some((e) => /UserPool6BA7E5F2/.test(e) || /UserPool.*Arn/.test(e))).toBe(true);
  });
});
