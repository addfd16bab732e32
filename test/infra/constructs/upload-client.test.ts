/**
 * A browser app can call the upload API: a public app client per environment (no secret: a browser cannot keep one;
 * authorization code flow, PKCE on the app's side — https://docs.aws.amazon.com/cognito/latest/developerguide/using-pkce-in-authorization-code.html)
 * whose tokens the JWT authorizer accepts (audience: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html),
 * CORS on the HTTP API (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html) and on the
 * bucket for the presigned PUT/GET (https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html), each allowing
 * the environment's https origin only.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { apiClientCallbackUrl, apiClientOrigin, platformConfig, publicHosts } from '../../../config';
import { createS3Storage } from '../../../lambda/src/s3-storage';
import { PRESIGNED_PUT_HEADERS } from '../../../infra/constructs/storage';
import { platform, relayedOutput, relayedValue, resourcesOfType } from '../helpers';

const { project } = platformConfig;
const identity = platform().json(`${project}-identity`);

describe.each(platformConfig.environments)('$name: the upload API has a browser client', (env) => {
  const json = platform().json(`${project}-${env.name}`);
  const hosts = publicHosts(env.workloads);
  const clients = resourcesOfType(identity, 'AWS::Cognito::UserPoolClient');
  const publicClient = clients.find(([, c]) => c.Properties.ClientName === `${project}-${env.name}-web`);

  test("a public app client: no secret, authorization code flow only, callbacks on the public services' hosts", () => {
    expect(publicClient).toBeDefined();
    const p = publicClient![1].Properties;
    expect(p.GenerateSecret).toBe(false);
    expect(p.AllowedOAuthFlows).toEqual(['code']);
    expect(p.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(p.AllowedOAuthScopes).toContain('openid');
    expect(hosts.length).toBeGreaterThan(0);
    expect(p.CallbackURLs).toEqual(hosts.map(apiClientCallbackUrl));
    hosts.forEach((host, i) => expect(p.CallbackURLs[i].startsWith(`${apiClientOrigin(host)}/`)).toBe(true));
    expect(p.SupportedIdentityProviders).toEqual(['COGNITO']);
    // No password (SRP/custom) flows outside the hosted sign-in: tokens only from the code exchange, then refresh.
    expect(p.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
    expect(p.EnableTokenRevocation).toBe(true);
  });

  test("the JWT authorizer's audience holds the public client (and the ALB client)", () => {
    const [[, authorizer]] = resourcesOfType(json, 'AWS::ApiGatewayV2::Authorizer');
    // Read through the relay (see first-create.test.ts: a replaced client reaches the authorizer on the next deploy).
    const audience = authorizer.Properties.JwtConfiguration.Audience.map((a: unknown) => JSON.stringify(relayedValue(json, a)));
    expect(audience).toHaveLength(2);
    const [publicId] = publicClient!;
    const albId = clients.find(([, c]) => c.Properties.ClientName === `${project}-${env.name}-alb`)![0];
    expect(audience.some((a: string) => a.includes(publicId))).toBe(true);
    expect(audience.some((a: string) => a.includes(albId))).toBe(true);
    // The browser app finds its client ID among the environment's outputs.
    expect(relayedOutput(json, 'apiClientId')).toEqual({ 'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringContaining(publicId) }) });
  });

  test("CORS on the HTTP API: the environment's https origin only, the routes' methods, bearer tokens (no credentials)", () => {
    const [[, api]] = resourcesOfType(json, 'AWS::ApiGatewayV2::Api');
    const cors = api.Properties.CorsConfiguration;
    expect(cors.AllowOrigins).toEqual(hosts.map(apiClientOrigin));
    expect([...cors.AllowMethods].sort()).toEqual(['DELETE', 'GET', 'POST']);
    expect(cors.AllowHeaders).toEqual(expect.arrayContaining(['authorization', 'content-type']));
    expect(cors.AllowCredentials).toBe(false);
  });

  test("CORS on the upload bucket: presigned PUT (with its signed headers) and GET from the environment's origin only", async () => {
    const buckets = resourcesOfType(json, 'AWS::S3::Bucket').filter(([, b]) => b.Properties.CorsConfiguration);
    expect(buckets).toHaveLength(1);
    const [, bucket] = buckets[0];
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
    const [rule] = bucket.Properties.CorsConfiguration.CorsRules;
    expect(rule.AllowedOrigins).toEqual(hosts.map(apiClientOrigin));
    expect([...rule.AllowedMethods].sort()).toEqual(['GET', 'HEAD', 'PUT']);
    // Every header the API tells the browser to send with the PUT (lambda/src/s3-storage.ts) passes the preflight.
    const client = new S3Client({ region: env.region, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
    const storage = createS3Storage({ client, bucket: 'bucket', kmsKeyId: `arn:aws:kms:${env.region}:123456789012:key/example` });
    const { headers } = await storage.presignUpload({ key: 'u/k', contentType: 'image/png', size: 10, expiresInSeconds: 60 });
    expect(Object.keys(headers).length).toBeGreaterThan(0);
    expect(rule.AllowedHeaders).toEqual(expect.arrayContaining(Object.keys(headers).map((h) => h.toLowerCase())));
    expect(rule.AllowedHeaders).toEqual(PRESIGNED_PUT_HEADERS);
    expect(rule.ExposedHeaders).toContain('ETag');
  });
});
