/**
 * What the charts tell the sample service, read back by the service's own configuration parser: on AWS it logs
 * in by IAM as its own role and trusts only its own load balancer's identity header; on the generic target it
 * reads mounted files and trusts no identity header. A drift between chart and app fails here, not in a cluster.
 */
import { parseConfig } from '../../app/src/config';
import { renderTarget } from '../../charts/app';
import { container, find, IMAGE, platformConfig, realOutputs } from './helpers';

describe('settings the charts give the service', () => {
  test.each(['dev', 'staging', 'prod'])('%s: IAM login as "web", identity from this environment\'s own load balancer only', (env) => {
    const outputs = realOutputs(platformConfig, env);
    const { objects } = renderTarget(platformConfig, env, { images: { app: IMAGE }, outputs });
    const settings = find(objects, 'ConfigMap').data as Record<string, string>;
    const config = parseConfig(settings);
    expect(config.database?.credentials).toEqual({ kind: 'iam', username: 'web' });
    expect(config.database?.ssl).toBe('require');
    expect(config.identity).toEqual({
      kind: 'alb',
      region: outputs.region,
      signer: `arn:aws:elasticloadbalancing:${outputs.region}:${outputs.account}:loadbalancer/app/platform-${env}-ingress/*`,
      publicKeysUrl: `https://public-keys.auth.elb.${outputs.region}.amazonaws.com`,
    });
    // The signer's name is the name the Ingress gives the load balancer.
    expect(find(objects, 'Ingress').metadata.annotations['alb.ingress.kubernetes.io/load-balancer-name']).toBe(`platform-${env}-ingress`);
    // No credential anywhere in the pod's environment.
    expect(JSON.stringify(container(objects).env ?? [])).not.toMatch(/PASSWORD|SECRET/);
    expect(Object.keys(settings).some((k) => /PASSWORD|SECRET/.test(k))).toBe(false);
  });

  test('generic: credentials files, no identity header trusted', () => {
    const { objects } = renderTarget(platformConfig, 'generic', { images: { app: IMAGE } });
    const settings = find(objects, 'ConfigMap').data as Record<string, string>;
    const config = parseConfig({ ...settings, DATABASE_HOST: 'postgres', DATABASE_PORT: '5432', DATABASE_NAME: 'app' });
    expect(config.database?.credentials).toEqual({ kind: 'files', directory: '/var/run/secrets/platform/database' });
    expect(config.identity).toEqual({ kind: 'none' });
  });
});
