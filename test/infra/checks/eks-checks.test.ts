import { App, Stack, Validations } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFindings } from '../../../infra/app';
import { checkEksCluster, EKS_ENDPOINT_RULE, EKS_LOGGING_RULE, EksClusterChecks } from '../../../infra/checks/eks-checks';

const ALL_LOGS = { ClusterLogging: { EnabledTypes: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'].map((Type) => ({ Type })) } };
const GOOD_VPC = { EndpointPrivateAccess: true, EndpointPublicAccess: true, PublicAccessCidrs: ['203.0.113.0/24'] };

describe('checkEksCluster', () => {
  test('passes a cluster with every log type and a limited public endpoint', () => {
    expect(checkEksCluster({ Logging: ALL_LOGS, ResourcesVpcConfig: GOOD_VPC })).toEqual([]);
  });

  test('passes a private-only cluster', () => {
    expect(checkEksCluster({ Logging: ALL_LOGS, ResourcesVpcConfig: { EndpointPrivateAccess: true, EndpointPublicAccess: false } })).toEqual([]);
  });

  test('fails when a log type is missing, naming it', () => {
    const problems = checkEksCluster({ Logging: { ClusterLogging: { EnabledTypes: [{ Type: 'api' }] } }, ResourcesVpcConfig: GOOD_VPC });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ rule: EKS_LOGGING_RULE });
    expect(problems[0].message).toContain('audit, authenticator, controllerManager, scheduler');
  });

  test('fails when logging is absent', () => {
    expect(checkEksCluster({ ResourcesVpcConfig: GOOD_VPC }).map((p) => p.rule)).toEqual([EKS_LOGGING_RULE]);
  });

  test('fails when the public endpoint is open to the internet', () => {
    const problems = checkEksCluster({ Logging: ALL_LOGS, ResourcesVpcConfig: { ...GOOD_VPC, PublicAccessCidrs: ['0.0.0.0/0'] } });
    expect(problems.map((p) => p.rule)).toEqual([EKS_ENDPOINT_RULE]);
    expect(problems[0].message).toContain('0.0.0.0/0');
  });

  test('fails when the public endpoint has no CIDR limit (EKS default)', () => {
    const problems = checkEksCluster({ Logging: ALL_LOGS, ResourcesVpcConfig: { EndpointPrivateAccess: true } });
    expect(problems.map((p) => p.rule)).toEqual([EKS_ENDPOINT_RULE]);
    expect(problems[0].message).toContain('whole internet');
  });

  test('fails when private endpoint access is off', () => {
    const problems = checkEksCluster({ Logging: ALL_LOGS, ResourcesVpcConfig: { ...GOOD_VPC, EndpointPrivateAccess: false } });
    expect(problems.map((p) => p.location)).toEqual(['Properties/ResourcesVpcConfig/EndpointPrivateAccess']);
  });
});

describe('EksClusterChecks plugin', () => {
  function synthWith(properties: Partial<eks.CfnClusterProps>): ReturnType<typeof readFindings> {
    const outdir = mkdtempSync(join(tmpdir(), 'eks-checks-'));
    const app = new App({ outdir, builtinCloudFormationValidation: false, context: { '@aws-cdk/core:failSynthOnValidationErrors': false } });
    Validations.of(app).addPlugins(new EksClusterChecks());
    const stack = new Stack(app, 'Bad', { env: { region: 'eu-west-1' } });
    new eks.CfnCluster(stack, 'Cluster', {
      roleArn: 'arn:aws:iam::111111111111:role/eks',
      resourcesVpcConfig: { subnetIds: ['subnet-1', 'subnet-2'], ...properties.resourcesVpcConfig },
      logging: properties.logging,
    });
    app.synth();
    return readFindings(outdir);
  }

  test('fails synth (unacknowledged findings) on a bad cluster: no logging, open endpoint', () => {
    const findings = synthWith({ resourcesVpcConfig: { subnetIds: [], endpointPublicAccess: true, publicAccessCidrs: ['0.0.0.0/0'] } });
    expect(findings.map((f) => f.rule).sort()).toEqual([EKS_ENDPOINT_RULE, EKS_ENDPOINT_RULE, EKS_LOGGING_RULE].sort());
    expect(findings.every((f) => f.constructPath === 'Bad/Cluster')).toBe(true);
  });

  test('reports nothing for a compliant cluster', () => {
    const findings = synthWith({
      resourcesVpcConfig: { subnetIds: [], endpointPrivateAccess: true, endpointPublicAccess: false },
      logging: { clusterLogging: { enabledTypes: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'].map((type) => ({ type })) } },
    });
    expect(findings).toEqual([]);
  });
});
