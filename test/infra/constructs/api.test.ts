import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { UploadApi, type UploadApiProps } from '../../../infra/constructs/api';
import { LAMBDA_FIXTURE } from '../helpers';

function uploadApi(codeDir: string): UploadApi {
  const stack = new Stack(undefined, 'Test', { env: { region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key');
  const props: UploadApiProps = {
    functionName: 'f',
    codeDir,
    bucket: new s3.Bucket(stack, 'Bucket'),
    key,
    jwtIssuer: 'https://issuer',
    jwtAudience: 'client',
    throttleRatePerSecond: 1,
    throttleBurst: 1,
    reservedConcurrency: 5,
    removal: RemovalPolicy.DESTROY,
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
});
