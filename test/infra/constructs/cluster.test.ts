import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClusterConfig, platformConfig, SUPPORTED_KUBERNETES_VERSIONS } from '../../../config';
import { albControllerCrds, CHART_VERSION_LABEL, crdsDir } from '../../../infra/constructs/alb-controller-crds';
import { ALB_CONTROLLER_CHART_VERSION, kubernetesVersion, PlatformCluster } from '../../../infra/constructs/cluster';
import { resourcesOfType } from '../helpers';

const dev = platformConfig.environments[0];
const SSO_ADMIN = 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_PlatformAdmin_0123456789abcdef';

function clusterStack(config: Partial<ClusterConfig> = {}): Stack {
  // Without aws-cdk-lib's built-in template validation: slow, and cfn-lint covers it (as in infra/app.ts).
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Test', { env: { region: 'eu-west-1' } });
  new PlatformCluster(stack, 'Eks', {
    clusterName: 'c',
    config: { ...dev.cluster, ...config },
    vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 }),
    key: new kms.Key(stack, 'Key'),
    project: 'platform',
    deployRoleArn: 'arn:aws:iam::111111111111:role/deploy',
    applicationNamespace: 'web',
    removal: RemovalPolicy.DESTROY,
  });
  return stack;
}

describe('kubernetesVersion', () => {
  test('maps a configured minor version to aws-eks-v2', () => {
    expect(kubernetesVersion('1.35', 'here').version).toBe('1.35');
    expect(kubernetesVersion('1.36', 'here').version).toBe('1.36');
  });

  test.each(SUPPORTED_KUBERNETES_VERSIONS)('%s, a row of the pin table, is offered by aws-eks-v2 (aws-cdk-lib 2.276 has up to 1.37)', (version) => {
    expect(kubernetesVersion(version, 'here').version).toBe(version);
  });

  test('fails when the Kubernetes version is unknown to aws-eks-v2', () => {
    expect(() => kubernetesVersion('1.99', 'here')).toThrow(/kubernetesVersion is "1.99"/);
    expect(() => kubernetesVersion('latest', 'here')).toThrow(/kubernetesVersion is "latest"/);
  });
});

describe('PlatformCluster', () => {
  test('fails when the public endpoint is open to the whole internet', () => {
    expect(() => clusterStack({ publicAccessCidrs: ['0.0.0.0/0'] })).toThrow(/publicAccessCidrs is \["0.0.0.0\/0"\]/);
  });

  describe('admin access entry', () => {
    const clusterAdmins = (stack: Stack) =>
      resourcesOfType(Template.fromStack(stack).toJSON(), 'AWS::EKS::AccessEntry')
        .filter(([, e]) => (e.Properties.AccessPolicies as { AccessScope: { Type: string } }[]).some((p) => p.AccessScope.Type === 'cluster'))
        .map(([, e]) => e.Properties.PrincipalArn);

    test('names the configured principal ARN exactly, path included (an IAM Identity Center role)', () => {
      const admins = clusterAdmins(clusterStack({ adminPrincipalArn: SSO_ADMIN }));
      expect(admins).toContain(SSO_ADMIN);
      expect(admins).toHaveLength(2); // and the kubectl provider's role
    });

    test('without a principal there is none: only the kubectl provider is cluster-wide', () => {
      const admins = clusterAdmins(clusterStack());
      expect(admins).toHaveLength(1);
      expect(JSON.stringify(admins[0])).toMatch(/KubectlProviderHandler/);
    });

    test('fails for a principal that is not a full role or user ARN, naming the value', () => {
      expect(() => clusterStack({ adminPrincipalArn: 'PlatformAdmin' })).toThrow(
        /adminPrincipalArn is "PlatformAdmin"; expected the full ARN of an IAM role or user, path included/,
      );
    });
  });

  describe("the AWS Load Balancer Controller's CRDs", () => {
    const json = Template.fromStack(clusterStack()).toJSON();
    const crds = albControllerCrds(ALB_CONTROLLER_CHART_VERSION);
    const manifests = resourcesOfType(json, 'Custom::AWSCDK-EKS-KubernetesResource')
      .map(([id, r]) => ({ id, resource: r, objects: JSON.parse(r.Properties.Manifest) as { kind: string; metadata: { name: string; labels: Record<string, string> } }[] }))
      .filter((m) => m.objects.some((o) => o.kind === 'CustomResourceDefinition'));
    const [[chartId, chart]] = resourcesOfType(json, 'Custom::AWSCDK-EKS-HelmChart').filter(([, c]) => c.Properties.Chart === 'aws-load-balancer-controller');

    test('Helm skips them (helm upgrade would never update them)', () => {
      expect(chart.Properties.SkipCrds).toBe(true);
    });

    test("every CRD of the chart version is applied (kubectl apply over Helm's first install), labelled with that version", () => {
      expect(crds.map((c) => c.metadata.name)).toEqual(expect.arrayContaining(['ingressclassparams.elbv2.k8s.aws', 'targetgroupbindings.elbv2.k8s.aws']));
      expect(manifests.flatMap((m) => m.objects.map((o) => o.metadata.name)).sort()).toEqual(crds.map((c) => c.metadata.name).sort());
      for (const m of manifests) {
        expect(m.resource.Properties.Overwrite).toBe(true);
        for (const o of m.objects) expect(o.metadata.labels[CHART_VERSION_LABEL]).toBe(ALB_CONTROLLER_CHART_VERSION);
      }
    });

    test('the chart waits for them, and their IDs do not carry the version (a bump updates them in place)', () => {
      for (const m of manifests) {
        expect(json.Resources[chartId].DependsOn).toContain(m.id);
        expect(m.id).not.toContain(ALB_CONTROLLER_CHART_VERSION.replace(/\./g, ''));
      }
    });

    test('a chart version without vendored CRDs fails, naming the file to add', () => {
      expect(() => albControllerCrds('9.9.9')).toThrow(`${join(crdsDir(), 'aws-load-balancer-controller-9.9.9.yaml')} is missing`);
    });

    test('a vendored file with anything but CRDs is refused', () => {
      const dir = mkdtempSync(join(tmpdir(), 'crds-'));
      try {
        writeFileSync(join(dir, 'aws-load-balancer-controller-1.0.0.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n');
        expect(() => albControllerCrds('1.0.0', dir)).toThrow(/expected only CustomResourceDefinitions, found 1 documents of which 0 CRDs/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
