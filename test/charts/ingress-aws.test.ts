import { Chart, Testing } from 'cdk8s';
import { renderTarget } from '../../charts/app';
import { AlbIngress, albReadinessGateSeconds, type AlbIngressProps } from '../../charts/ingress-aws';
import { WebService } from '../../charts/web-service';
import { loadBalancerName } from '../../config';
import { ChartInputError } from '../../charts/errors';
import { find, IMAGE, platformConfig, realOutputs } from './helpers';

const A = 'alb.ingress.kubernetes.io';

describe('ALB Ingress', () => {
  // https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/#load-balancer-name
  // and the ELB limit (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html:
  // at most 32 characters, alphanumerics and hyphens, not beginning or ending with a hyphen, not beginning with "internal-").
  test.each(platformConfig.environments.map((e) => e.name))('%s: the ALB has a fixed name from the configuration, valid for Elastic Load Balancing', (name) => {
    const { objects } = renderTarget(platformConfig, name, { images: { app: IMAGE }, outputs: realOutputs(platformConfig, name) });
    const albName = find(objects, 'Ingress').metadata.annotations[`${A}/load-balancer-name`];
    expect(albName).toBe(loadBalancerName(platformConfig.project, name));
    expect(albName).toMatch(/^(?!internal-)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/);
  });

  test('the ALB name does not depend on the Ingress (renaming the Ingress keeps the load balancer name)', () => {
    const albName = (name: string) =>
      Testing.synth(chartWith({ name, loadBalancerName: 'platform-dev-web' })).find((o) => o.kind === 'Ingress').metadata.annotations[`${A}/load-balancer-name`];
    expect(albName('web')).toBe('platform-dev-web');
    expect(albName('web-v2')).toBe('platform-dev-web');
  });

  test('fails when the load balancer name is longer than 32 characters or starts with "internal-"', () => {
    expect(() => chartWith({ loadBalancerName: 'x'.repeat(33) })).toThrow(ChartInputError);
    expect(() => chartWith({ loadBalancerName: 'internal-web' })).toThrow(/loadBalancerName is "internal-web"/);
  });

  test('dev (same region as the user pool) uses auth-type cognito with the pool ARN, client ID and domain prefix', () => {
    const outputs = realOutputs(platformConfig, 'dev');
    const { objects } = renderTarget(platformConfig, 'dev', { images: { app: IMAGE }, outputs });
    const ingress = find(objects, 'Ingress');
    const a = ingress.metadata.annotations;
    expect(a[`${A}/auth-type`]).toBe('cognito');
    expect(JSON.parse(a[`${A}/auth-idp-cognito`])).toEqual({
      userPoolARN: outputs.userPoolArn,
      userPoolClientID: outputs.userPoolClientId,
      userPoolDomain: 'example-platform-auth',
    });
    expect(a[`${A}/auth-idp-oidc`]).toBeUndefined();
    expect(a).toMatchObject({
      [`${A}/auth-on-unauthenticated-request`]: 'authenticate',
      [`${A}/auth-scope`]: 'openid',
      [`${A}/auth-session-timeout`]: '28800',
    });
    expect((objects as { kind: string }[]).filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).toEqual([]);
  });

  test('prod (another region than the user pool) uses auth-type oidc against the central pool, secret from a Kubernetes Secret', () => {
    const outputs = realOutputs(platformConfig, 'prod');
    const { objects, yaml } = renderTarget(platformConfig, 'prod', { images: { app: IMAGE }, outputs });
    const a = find(objects, 'Ingress').metadata.annotations;
    expect(a[`${A}/auth-type`]).toBe('oidc');
    expect(a[`${A}/auth-idp-cognito`]).toBeUndefined();
    const domain = 'https://example-platform-auth.auth.eu-west-1.amazoncognito.com';
    expect(JSON.parse(a[`${A}/auth-idp-oidc`])).toEqual({
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI',
      authorizationEndpoint: `${domain}/oauth2/authorize`,
      tokenEndpoint: `${domain}/oauth2/token`,
      userInfoEndpoint: `${domain}/oauth2/userInfo`,
      secretName: 'alb-oidc-client',
    });
    expect(yaml).not.toMatch(/clientSecret/);
    // The controller may read exactly that Secret.
    const role = find(objects, 'Role', 'alb-oidc-client-reader');
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['secrets'], resourceNames: ['alb-oidc-client'], verbs: ['get', 'list', 'watch'] }]);
    const binding = find(objects, 'RoleBinding', 'alb-oidc-client-reader');
    expect(binding.metadata.namespace).toBe('web');
    expect(binding.subjects).toEqual([expect.objectContaining({ kind: 'ServiceAccount', name: 'aws-load-balancer-controller', namespace: 'kube-system' })]);
  });

  test.each(['dev', 'prod'])('%s: HTTPS with the certificate, HTTP redirected, ip targets health-checked on /readyz', (env) => {
    const outputs = realOutputs(platformConfig, env);
    const ingress = find(renderTarget(platformConfig, env, { images: { app: IMAGE }, outputs }).objects, 'Ingress');
    expect(ingress.spec.ingressClassName).toBe('alb');
    expect(ingress.metadata.annotations).toMatchObject({
      [`${A}/scheme`]: 'internet-facing',
      [`${A}/target-type`]: 'ip',
      [`${A}/listen-ports`]: '[{"HTTP": 80}, {"HTTPS": 443}]',
      [`${A}/ssl-redirect`]: '443',
      [`${A}/certificate-arn`]: outputs.certificateArn,
      [`${A}/healthcheck-path`]: '/readyz',
      [`${A}/target-group-attributes`]: 'deregistration_delay.timeout_seconds=15',
    });
    expect(ingress.spec.rules).toEqual([
      {
        host: env === 'prod' ? 'app.example.com' : 'dev.eu-west-1.example.com',
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] },
      },
    ]);
  });

  test('the deregistration delay is shorter than the preStop sleep', () => {
    const { objects } = renderTarget(platformConfig, 'staging', { images: { app: IMAGE } });
    const delay = Number(/timeout_seconds=(\d+)/.exec(find(objects, 'Ingress').metadata.annotations[`${A}/target-group-attributes`])![1]);
    const sleep = find(objects, 'Deployment').spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds;
    expect(delay).toBeLessThan(sleep);
  });

  function chartWith(props: Partial<AlbIngressProps>, preStopSleepSeconds = 25): Chart {
    const chart = new Chart(Testing.app(), 'test');
    const workload = new WebService(chart, 'Web', {
      name: 'web',
      namespace: 'web',
      image: IMAGE,
      minReplicas: 1,
      maxReplicas: 2,
      cpuMillis: 100,
      memoryMiB: 128,
      preStopSleepSeconds,
      readinessGateSeconds: albReadinessGateSeconds(),
    });
    const outputs = realOutputs(platformConfig, 'dev');
    new AlbIngress(chart, 'Ingress', { ...outputs, workload, namespace: 'web', hostname: 'dev.eu-west-1.example.com', region: 'eu-west-1', ...props });
    return chart;
  }

  test('fails when the deregistration delay is not shorter than the preStop sleep', () => {
    expect(() => chartWith({ deregistrationDelaySeconds: 30 }).toJson()).toThrow("ALB deregistration delay (30 s) must be shorter than the pods' preStop sleep (25 s)");
    expect(() => chartWith({}, 15).toJson()).toThrow('ALB deregistration delay (15 s) must be shorter');
  });

  test('fails when the hostname is missing or malformed', () => {
    expect(() => chartWith({ hostname: '' })).toThrow('hostname is missing');
    expect(() => chartWith({ hostname: 'App.Example.com' })).toThrow('hostname is "App.Example.com"');
  });

  test('fails when an output such as the certificate ARN is empty', () => {
    expect(() => chartWith({ certificateArn: '' })).toThrow('certificateArn is ""; the ALB Ingress needs it');
  });

  test("tags become the controller's key=value,… annotation; fails when a tag would break that list", () => {
    const tagged = find(
      JSON.parse(
        JSON.stringify(
          chartWith({
            tags: [
              { key: 'PlatformService', value: 'platform-dev-ingress' },
              { key: 'Team', value: 'ops' },
            ],
          }).toJson(),
        ),
      ),
      'Ingress',
    );
    expect(tagged.metadata.annotations[`${A}/tags`]).toBe('PlatformService=platform-dev-ingress,Team=ops');
    expect(find(JSON.parse(JSON.stringify(chartWith({}).toJson())), 'Ingress').metadata.annotations[`${A}/tags`]).toBeUndefined();
    expect(() => chartWith({ tags: [{ key: 'Service', value: 'a,b' }] })).toThrow('tags: {"key":"Service","value":"a,b"} is not a valid AWS tag');
    expect(() => chartWith({ tags: [{ key: 'a=b', value: 'c' }] })).toThrow('is not a valid AWS tag');
  });

  test("each AWS environment's Ingress tags its ALB with the tag the infra alarms select by", () => {
    for (const env of ['dev', 'staging', 'prod'] as const) {
      const { objects } = renderTarget(platformConfig, env, { images: { app: IMAGE }, outputs: realOutputs(platformConfig, env) });
      expect(find(objects, 'Ingress').metadata.annotations[`${A}/tags`]).toBe(`PlatformService=platform-${env}-ingress`);
    }
  });
});
