import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { UploadApi, type UploadApiProps } from '../../../infra/constructs/api';
import { LAMBDA_FIXTURE } from '../helpers';

function uploadApi(codeDir: string, overrides: Partial<UploadApiProps> = {}): UploadApi {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Test', { env: { region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key');
  const props: UploadApiProps = {
    functionName: 'f',
    codeDir,
    bucket: new s3.Bucket(stack, 'Bucket'),
    key,
    jwtIssuer: 'https://issuer',
    jwtAudience: ['client'],
    corsOrigins: ['https://app.example.com'],
    throttleRatePerSecond: 1,
    throttleBurst: 1,
    removal: RemovalPolicy.DESTROY,
    ...overrides,
  };
  return new UploadApi(stack, 'Api', props);
}

describe('UploadApi', () => {
  test('fails when the Lambda bundle is missing, telling to run npm run build', () => {
    expect(() => uploadApi('/nonexistent/dist/lambda')).toThrow(/\/nonexistent\/dist\/lambda\/index.js is missing; run "npm run build"/);
  });

  test('accepts a folder holding index.js', () => {
    expect(() => uploadApi(LAMBDA_FIXTURE)).not.toThrow();
  });

  test.each([['*'], ['http://app.example.com'], ['https://app.example.com/'], ['https://*.example.com']])('fails when a CORS origin is %s (not one https origin)', (origin) => {
    expect(() => uploadApi(LAMBDA_FIXTURE, { corsOrigins: [origin] })).toThrow(`CORS origin ${JSON.stringify(origin)} is not an https origin`);
  });

  describe('reserved concurrency (opt-in: a new account may have no room for it)', () => {
    const reserved = (api: UploadApi) =>
      Object.values(Template.fromStack(api.node.scope as Stack).findResources('AWS::Lambda::Function')).map((f) => f.Properties.ReservedConcurrentExecutions);

    test('none unless given: the function draws on the unreserved pool', () => {
      expect(reserved(uploadApi(LAMBDA_FIXTURE))).toEqual([undefined]);
    });

    test('the given reservation otherwise', () => {
      expect(reserved(uploadApi(LAMBDA_FIXTURE, { reservedConcurrency: 5 }))).toEqual([5]);
    });

    test.each([0, 1.5, -1])('fails for %s, naming the value', (value) => {
      expect(() => uploadApi(LAMBDA_FIXTURE, { reservedConcurrency: value })).toThrow(`reservedConcurrency is ${value}; expected a whole number of at least 1, or none`);
    });
  });

  test('fails when no CORS origin or no JWT audience is given', () => {
    expect(() => uploadApi(LAMBDA_FIXTURE, { corsOrigins: [] })).toThrow(/corsOrigins is empty/);
    expect(() => uploadApi(LAMBDA_FIXTURE, { jwtAudience: [] })).toThrow(/jwtAudience is empty/);
  });
});
