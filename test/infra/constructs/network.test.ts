import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Network } from '../../../infra/constructs/network';

describe('Network', () => {
  test('fails when natGateways exceeds the two availability zones', () => {
    const stack = new Stack(undefined, 'Test', { env: { region: 'eu-west-1' } });
    const key = new kms.Key(stack, 'Key');
    expect(() => new Network(stack, 'Net', { cidr: '10.0.0.0/16', natGateways: 3, key, removal: RemovalPolicy.DESTROY, clusterName: 'c' })).toThrow(
      /natGateways is 3; expected 1 to 2/,
    );
  });
});
