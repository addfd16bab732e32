import { Match } from 'aws-cdk-lib/assertions';
import { platformConfig, publicHosts } from '../../../config';
import { platform, resourcesOfType } from '../helpers';

const template = platform().template('platform-identity');
const json = platform().json('platform-identity');

describe('identity stack (central Cognito)', () => {
  test('user pool: strong password policy, TOTP MFA from configuration, threat protection, no self sign-up', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      Policies: { PasswordPolicy: { MinimumLength: 14, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true } },
      MfaConfiguration: platformConfig.identity.mfa === 'required' ? 'ON' : 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
  });

  test('hosted domain with the configured prefix', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: platformConfig.identity.domainPrefix });
  });

  test.each(platformConfig.environments.map((e) => [e.name, publicHosts(e.workloads)[0]]))(
    'ALB app client of %s: secret, code flow, openid, idpresponse callback',
    (name, host) => {
      template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        ClientName: `platform-${name}-alb`,
        GenerateSecret: true,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthScopes: Match.arrayWith(['openid']),
        CallbackURLs: [`https://${host}/oauth2/idpresponse`],
        LogoutURLs: [`https://${host}/`],
        SupportedIdentityProviders: ['COGNITO'],
      });
    },
  );

  test('client secrets live in KMS-encrypted Secrets Manager secrets, never as literals', () => {
    const secrets = resourcesOfType(json, 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(platformConfig.environments.length);
    for (const [, secret] of secrets) {
      expect(secret.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
      const value = JSON.stringify(secret.Properties.SecretString);
      expect(value).toContain('ClientSecret'); // Fn::GetAtt <client>.ClientSecret
      expect(value).toContain('clientID');
    }
  });

  test('its KMS key rotates', () => {
    template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});
