import { Match } from 'aws-cdk-lib/assertions';
import { renderTarget } from '../../../charts/app';
import { ALB_CONTROLLER_SERVICE_ACCOUNT, API_ROUTES, controlPlaneLogTypes, DATABASE_PORT, platformConfig, routeKey, UPLOAD_API_ENV } from '../../../config';
import { platform, resourcesOfType } from '../helpers';

const dev = platform().template('platform-dev');
const prod = platform().template('platform-prod');
const devJson = platform().json('platform-dev');
const prodJson = platform().json('platform-prod');
const prodConfig = platformConfig.environments.find((e) => e.name === 'prod')!;
const devConfig = platformConfig.environments.find((e) => e.name === 'dev')!;

const keyRef = { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] };

describe('environment stack: encryption', () => {
  test.each([
    ['prod', 'RetainExceptOnCreate'],
    ['dev', 'Delete'], // removal "destroy": nothing it encrypted outlives the stack
  ])('%s: one environment KMS key with rotation on, deletion policy %s', (name, policy) => {
    const t = name === 'dev' ? dev : prod;
    t.resourceCountIs('AWS::KMS::Key', 1);
    t.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true, RotationPeriodInDays: 365, PendingWindowInDays: 30 }, DeletionPolicy: policy });
  });

  test.each([dev, prod])('every log group is encrypted with the environment key', (t) => {
    t.allResourcesProperties('AWS::Logs::LogGroup', { KmsKeyId: keyRef });
  });
});

describe('environment stack: network', () => {
  test('VPC over two AZs (account-agnostic GetAZs), NAT per configuration, flow logs', () => {
    dev.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: devConfig.vpcCidr });
    dev.resourceCountIs('AWS::EC2::NatGateway', devConfig.natGateways);
    prod.resourceCountIs('AWS::EC2::NatGateway', prodConfig.natGateways);
    const azs = new Set(resourcesOfType(devJson, 'AWS::EC2::Subnet').map(([, s]) => JSON.stringify(s.Properties.AvailabilityZone)));
    expect(azs.size).toBe(2);
    expect([...azs].join()).toContain('Fn::GetAZs');
    // Rejected flows only outside production (config flowLogTraffic; test/infra/costs.test.ts), every flow in prod.
    dev.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'REJECT', LogDestinationType: 'cloud-watch-logs' });
    prod.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
  });
});

describe('environment stack: EKS', () => {
  test.each([
    ['dev', dev],
    ['prod', prod],
  ] as const)('%s cluster: version from configuration, secrets envelope encryption, log types from configuration, endpoint from configuration', (name, t) => {
    const env = platformConfig.environments.find((e) => e.name === name)!;
    t.hasResourceProperties('AWS::EKS::Cluster', {
      Name: `platform-${name}`,
      Version: env.cluster.kubernetesVersion,
      EncryptionConfig: [{ Provider: { KeyArn: keyRef }, Resources: ['secrets'] }],
      Logging: { ClusterLogging: { EnabledTypes: controlPlaneLogTypes(env).map((type) => ({ Type: type })) } },
      ResourcesVpcConfig: { EndpointPrivateAccess: true, EndpointPublicAccess: true, PublicAccessCidrs: [...env.cluster.publicAccessCidrs] },
      AccessConfig: { AuthenticationMode: 'API' },
    });
  });

  test('managed node group (not Auto Mode), Graviton AMI, sizes from configuration', () => {
    prod.hasResourceProperties('AWS::EKS::Cluster', { ComputeConfig: { Enabled: false } });
    prod.hasResourceProperties('AWS::EKS::Nodegroup', {
      AmiType: 'AL2023_ARM_64_STANDARD',
      InstanceTypes: [...prodConfig.cluster.nodeInstanceTypes],
      ScalingConfig: { MinSize: prodConfig.cluster.minNodes, DesiredSize: prodConfig.cluster.desiredNodes, MaxSize: prodConfig.cluster.maxNodes },
    });
  });

  test('control-plane log group exists up front, encrypted', () => {
    dev.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/eks/platform-dev/cluster', KmsKeyId: keyRef });
  });

  test('access entries: no admin principal by default (only the kubectl provider is cluster-wide), CI deploy role only in the application namespace', () => {
    expect(devConfig.cluster.adminPrincipalArn).toBeUndefined();
    const clusterWide = resourcesOfType(devJson, 'AWS::EKS::AccessEntry').filter(([, e]) =>
      (e.Properties.AccessPolicies as { AccessScope: { Type: string } }[]).some((p) => p.AccessScope.Type === 'cluster'),
    );
    expect(JSON.stringify(clusterWide.map(([, e]) => e.Properties.PrincipalArn))).toMatch(
      /^\[\{"Fn::GetAtt":\["EksClusterKubectlProviderHandlerServiceRole[0-9A-F]+","Arn"\]\}\]$/,
    );
    dev.hasResourceProperties('AWS::EKS::AccessEntry', {
      PrincipalArn: { 'Fn::Join': ['', Match.arrayWith([':role/platform-dev-github-deploy'])] },
      AccessPolicies: [
        {
          AccessScope: { Type: 'namespace', Namespaces: [devConfig.namespace] },
          PolicyArn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('AmazonEKSAdminPolicy')])] },
        },
      ],
    });
  });

  test('Pod Identity agent add-on, and Pod Identity for the web app and the Load Balancer Controller', () => {
    dev.hasResourceProperties('AWS::EKS::Addon', { AddonName: 'eks-pod-identity-agent' });
    dev.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { Namespace: devConfig.namespace, ServiceAccount: 'web' });
    dev.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { Namespace: 'kube-system', ServiceAccount: 'aws-load-balancer-controller' });
    dev.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['elasticloadbalancing:CreateLoadBalancer']) })]) },
    });
  });

  test('the AWS Load Balancer Controller is installed by Helm (pinned chart) through the in-VPC kubectl provider', () => {
    dev.hasResourceProperties('Custom::AWSCDK-EKS-HelmChart', {
      Chart: 'aws-load-balancer-controller',
      Repository: 'https://aws.github.io/eks-charts',
      Version: Match.stringLikeRegexp('^\\d+\\.\\d+\\.\\d+$'),
      Namespace: 'kube-system',
      Values: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('"serviceAccount":\\{"create":true,"name":"aws-load-balancer-controller"\\}')])] },
    });
    dev.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('kubectl'),
      VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^EksKubectlSecurityGroup'), 'GroupId'] }] },
    });
  });

  test('the application namespace is created with the readiness-gate and Pod Security labels', () => {
    const [, ns] = resourcesOfType(devJson, 'Custom::AWSCDK-EKS-KubernetesResource').find(([, r]) => String(r.Properties.Manifest).includes('"kind":"Namespace"'))!;
    const [manifest] = JSON.parse(ns.Properties.Manifest);
    expect(manifest.metadata.name).toBe(devConfig.namespace);
    expect(manifest.metadata.labels).toMatchObject({
      'elbv2.k8s.aws/pod-readiness-gate-inject': 'enabled',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': `v${devConfig.cluster.kubernetesVersion}`,
    });
  });

  test.each(['dev', 'prod'])("%s: the Namespace infra creates has exactly the labels the chart renders (bar the chart's informational ones)", (env) => {
    const json = platform().json(`platform-${env}`);
    const [, ns] = resourcesOfType(json, 'Custom::AWSCDK-EKS-KubernetesResource').find(([, r]) => String(r.Properties.Manifest).includes('"kind":"Namespace"'))!;
    const [manifest] = JSON.parse(ns.Properties.Manifest);
    const chart = (
      renderTarget(platformConfig, env, { images: { app: 'registry.local/web:1.0.0' } }).objects as { kind: string; metadata: { name: string; labels: Record<string, string> } }[]
    ).find((o) => o.kind === 'Namespace')!;
    const workloadLabels = Object.fromEntries(Object.entries(chart.metadata.labels).filter(([k]) => !k.startsWith('app.kubernetes.io/')));
    expect(manifest.metadata.name).toBe(chart.metadata.name);
    // aws-eks-v2 adds its own prune label to every manifest it applies.
    const infraLabels = Object.fromEntries(Object.entries(manifest.metadata.labels as Record<string, string>).filter(([k]) => !k.startsWith('aws.cdk.eks/prune-')));
    expect(infraLabels).toEqual(workloadLabels);
  });

  test("the ALB controller's Pod Identity, its Helm release and the chart's OIDC Secret reader name the same ServiceAccount", () => {
    prod.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { Namespace: ALB_CONTROLLER_SERVICE_ACCOUNT.namespace, ServiceAccount: ALB_CONTROLLER_SERVICE_ACCOUNT.name });
    const objects = renderTarget(platformConfig, 'prod', { images: { app: 'registry.local/web:1.0.0' } }).objects as { kind: string; subjects?: unknown[] }[];
    expect(objects.find((o) => o.kind === 'RoleBinding')!.subjects).toEqual([
      { kind: 'ServiceAccount', name: ALB_CONTROLLER_SERVICE_ACCOUNT.name, namespace: ALB_CONTROLLER_SERVICE_ACCOUNT.namespace, apiGroup: '' },
    ]);
  });

  test('pod roles trust pods.eks.amazonaws.com with AssumeRole and TagSession', () => {
    const podRoles = resourcesOfType(devJson, 'AWS::IAM::Role').filter(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('pods.eks.amazonaws.com'));
    // One per declared workload (web, worker, prune), ALB controller, external-dns, CloudWatch agent (observability add-on), Cluster Autoscaler
    expect(podRoles).toHaveLength(devConfig.workloads.length + 4);
    for (const [, role] of podRoles) {
      const actions = role.Properties.AssumeRolePolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => s.Action);
      expect(actions).toEqual(expect.arrayContaining(['sts:AssumeRole', 'sts:TagSession']));
    }
  });

  test('the web pod role grants just its bucket, its key and a login as its own database user (no secret at all)', () => {
    const [, policy] = resourcesOfType(devJson, 'AWS::IAM::Policy').find(([id]) => id.startsWith('WebPodPolicy'))!;
    const statements = policy.Properties.PolicyDocument.Statement as { Sid: string; Action: string | string[]; Resource: unknown }[];
    const actions = statements.flatMap((s) => s.Action);
    expect(actions.sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey', 'rds-db:connect', 's3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject'].sort());
    expect(JSON.stringify(statements)).not.toContain('"*"');
    // rds-db:connect on arn:...:rds-db:<region>:<account>:dbuser:<this instance's resource ID>/web, nothing wider.
    const login = statements.find((s) => s.Sid === 'DatabaseLogin')!;
    const arn = JSON.stringify(login.Resource);
    expect(arn).toMatch(/:rds-db:.*:dbuser:/);
    expect(arn).toMatch(/"Fn::GetAtt":\["Database","DbiResourceId"\]/);
    expect(arn).toContain('/web"');
  });
});

describe('environment stack: database', () => {
  test("RDS listens on the shared port, and the chart's network policy lets the pods reach it in the VPC", () => {
    dev.hasResourceProperties('AWS::RDS::DBInstance', { Port: String(DATABASE_PORT) });
    const objects = renderTarget(platformConfig, 'dev', { images: { app: 'registry.local/web:1.0.0' } }).objects as { kind: string; metadata: { name: string }; spec?: any }[];
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'web')!;
    expect(policy.spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: devConfig.vpcCidr } }], ports: [{ protocol: 'TCP', port: DATABASE_PORT }] });
  });

  test('PostgreSQL at a pinned minor version, KMS-encrypted storage, backups, generated secret with rotation', () => {
    dev.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: Match.stringLikeRegexp('^1[67]\\.\\d+$'),
      StorageEncrypted: true,
      KmsKeyId: keyRef,
      BackupRetentionPeriod: devConfig.database.backupRetentionDays,
    });
    dev.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: keyRef, GenerateSecretString: Match.objectLike({ GenerateStringKey: 'password' }) });
    dev.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      HostedRotationLambda: Match.objectLike({ RotationType: 'PostgreSQLSingleUser' }),
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
  });

  test('reachable on 5432 only from the EKS cluster security group (and the rotation and role bootstrap functions)', () => {
    const dbSg = resourcesOfType(devJson, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('DatabaseSecurityGroup'))!;
    expect(dbSg[1].Properties.SecurityGroupIngress).toBeUndefined();
    const ingress = resourcesOfType(devJson, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => JSON.stringify(r.Properties.GroupId).includes(dbSg[0]));
    expect(ingress).toHaveLength(3);
    for (const [, rule] of ingress) {
      expect(rule.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: DATABASE_PORT, ToPort: DATABASE_PORT });
      expect(rule.Properties.CidrIp).toBeUndefined();
      expect(rule.Properties.CidrIpv6).toBeUndefined();
    }
    const sources = ingress.map(([, r]) => r.Properties.SourceSecurityGroupId);
    expect(sources).toContainEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EksCluster/), 'ClusterSecurityGroupId'] });
    expect(sources).toContainEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DatabaseRotationSecurityGroup/), 'GroupId'] });
    expect(sources).toContainEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DatabaseRoleSecurityGroup/), 'GroupId'] });
  });

  test('the application role is created at deploy time by a custom resource in the VPC (IAM auth, own schema)', () => {
    const [, resource] = resourcesOfType(devJson, 'Custom::DatabaseRole')[0];
    expect(resource.Properties).toMatchObject({ RoleName: 'web', DatabaseName: 'app', SchemaName: 'web', IamAuthentication: 'true', ConnectionLimit: '50' });
    expect(resource.Properties.StatementsHash).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(resource.Properties.Host)).toContain('Endpoint.Address');
    const functions = resourcesOfType(devJson, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('DatabaseRoleFunction'));
    expect(functions).toHaveLength(1);
    const [, fn] = functions[0];
    expect(fn.Properties.VpcConfig.SubnetIds.length).toBeGreaterThan(0);
    expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined(); // once per deploy: a reservation would only take from the account's pool
    expect(fn.Properties.Environment.Variables).toEqual({ NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem' });
    // Its egress: HTTPS and PostgreSQL to the database's group only.
    const sg = resourcesOfType(devJson, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('DatabaseRoleSecurityGroup'))!;
    expect(sg[1].Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })]);
  });

  test('prod: Multi-AZ, deletion protection, snapshot on removal', () => {
    prod.hasResource('AWS::RDS::DBInstance', {
      Properties: Match.objectLike({ MultiAZ: true, DeletionProtection: true }),
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
    });
  });

  test('prod keeps the database credentials with the snapshot; dev deletes them with the database', () => {
    const databaseSecrets = (json: Record<string, any>) => resourcesOfType(json, 'AWS::SecretsManager::Secret').filter(([id]) => id.includes('DatabaseInstanceSecret'));
    expect(databaseSecrets(prodJson).map(([, secret]) => secret.DeletionPolicy)).toEqual(['RetainExceptOnCreate']);
    expect(databaseSecrets(devJson).map(([, secret]) => secret.DeletionPolicy)).toEqual(['Delete']);
  });

  test('dev: single-AZ, no deletion protection, destroyed with the stack (removal "destroy")', () => {
    dev.hasResource('AWS::RDS::DBInstance', { Properties: Match.objectLike({ MultiAZ: false, DeletionProtection: false }), DeletionPolicy: 'Delete' });
  });
});

describe('environment stack: S3', () => {
  test.each([dev, prod])('data bucket: KMS with the environment key, versioning, public access blocked, access logs', (t) => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyRef }, BucketKeyEnabled: true }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^StorageAccessLogs') } },
    });
  });

  test.each([dev, prod])('every bucket denies requests without TLS', (t) => {
    const policies = resourcesOfType(t === dev ? devJson : prodJson, 'AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(2);
    for (const [, policy] of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    }
  });

  test('prod buckets are retained and never emptied; dev buckets (removal "destroy") are deleted after being emptied', () => {
    for (const [, bucket] of resourcesOfType(prodJson, 'AWS::S3::Bucket')) expect(bucket.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(resourcesOfType(prodJson, 'Custom::S3AutoDeleteObjects')).toHaveLength(0);
    for (const [, bucket] of resourcesOfType(devJson, 'AWS::S3::Bucket')) expect(bucket.DeletionPolicy).toBe('Delete');
    expect(resourcesOfType(devJson, 'Custom::S3AutoDeleteObjects')).toHaveLength(2); // the data bucket and its access logs
  });
});

describe('environment stack: upload API', () => {
  test('Lambda: newest Node.js runtime, arm64, index.handler, upload settings in its environment', () => {
    dev.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'platform-dev-api',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: {
        Variables: Match.objectLike({
          UPLOAD_BUCKET: { Ref: Match.stringLikeRegexp('^StorageData') },
          UPLOAD_KMS_KEY_ID: keyRef,
          MAX_UPLOAD_BYTES: '10485760',
        }),
      },
    });
  });

  test('HTTP API with payload format 2.0 integration', () => {
    dev.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    dev.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
  });

  test('Cognito JWT authorizer: issuer = central user pool, audience = the environment clients (browser app, ALB)', () => {
    dev.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Issuer: { 'Fn::Join': ['', [`https://cognito-idp.${platformConfig.identity.region}.amazonaws.com/`, Match.anyValue()]] },
        Audience: [Match.anyValue(), Match.anyValue()],
      },
    });
  });

  test.each(['GET /uploads', 'POST /uploads', 'GET /uploads/{id}', 'DELETE /uploads/{id}'])('%s requires the JWT', (routeKey) => {
    dev.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, AuthorizationType: 'JWT', AuthorizerId: { Ref: Match.stringLikeRegexp('Cognito') } });
  });

  test('the API has exactly the routes of the shared table (which the handler serves), JWT where it says so', () => {
    const routes = resourcesOfType(devJson, 'AWS::ApiGatewayV2::Route').map(([, r]) => `${r.Properties.RouteKey} ${r.Properties.AuthorizationType}`);
    expect(routes.sort()).toEqual(API_ROUTES.map((r) => `${routeKey(r)} ${r.authorized ? 'JWT' : 'NONE'}`).sort());
  });

  test('the function gets the variables the handler reads', () => {
    const [, fn] = resourcesOfType(devJson, 'AWS::Lambda::Function').find(([, f]) => f.Properties.Environment?.Variables?.[UPLOAD_API_ENV.bucket])!;
    expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual(Object.values(UPLOAD_API_ENV).sort());
  });

  test('GET /health is public', () => {
    dev.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /health', AuthorizationType: 'NONE', AuthorizerId: Match.absent() });
  });

  test('default stage: access logs to the encrypted log group, throttling from configuration', () => {
    prod.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiAccessLogs'), 'Arn'] } },
      DefaultRouteSettings: { ThrottlingRateLimit: prodConfig.apiThrottleRatePerSecond, ThrottlingBurstLimit: prodConfig.apiThrottleBurst },
    });
  });

  test('no function reserves concurrency unless configured (new accounts have no room for it), and none is configured by default', () => {
    for (const [template, config] of [
      [dev, devConfig],
      [prod, prodConfig],
    ] as const) {
      expect(config.apiReservedConcurrency).toBeUndefined();
      const reserving = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([, f]) => f.Properties.ReservedConcurrentExecutions !== undefined);
      expect(reserving.map(([id]) => id)).toEqual([]);
    }
  });

  test('the function role is least privilege on its bucket and key', () => {
    const [, policy] = resourcesOfType(devJson, 'AWS::IAM::Policy').find(([id]) => id.startsWith('ApiFunctionPolicy'))!;
    const actions = (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) => s.Action).sort();
    expect(actions).toEqual(
      ['kms:Decrypt', 'kms:GenerateDataKey', 'logs:CreateLogStream', 'logs:PutLogEvents', 's3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject'].sort(),
    );
  });
});

describe('environment stack: cross-region values', () => {
  test('prod (in another region than the user pool) reads Cognito values through cross-region references', () => {
    prod.resourceCountIs('Custom::CrossRegionExportReader', 1);
    dev.resourceCountIs('Custom::CrossRegionExportReader', 0);
  });
});
