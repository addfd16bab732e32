import { renderTarget } from '../../charts/app';
import { container, find, IMAGE, platformConfig } from './helpers';

describe('generic target', () => {
  const { yaml, objects } = renderTarget(platformConfig, 'generic', { images: { app: IMAGE } });

  test('has no AWS-specific field, annotation, label or value', () => {
    // The image registry in this test is an ECR host; strip it so only the chart's own output is checked.
    const text = yaml.split(IMAGE).join('registry.example.com/web:1');
    for (const marker of [
      'alb.ingress.kubernetes.io',
      'elbv2.k8s.aws',
      'eks.amazonaws.com',
      'arn:aws',
      'amazonaws.com',
      'AWS_',
      'BUCKET_NAME',
      'DATABASE_SECRET_ARN',
      '169.254.170.23',
      'aws-load-balancer-controller',
      'ingressClassName: alb',
    ]) {
      expect({ marker, found: text.includes(marker) }).toEqual({ marker, found: false });
    }
  });

  test('uses a standard Ingress of the configured class, with TLS from the configured Secret', () => {
    const ingress = find(objects, 'Ingress');
    expect(ingress.metadata.annotations).toBeUndefined();
    expect(ingress.spec).toEqual({
      ingressClassName: 'nginx',
      rules: [{ host: 'web.example.internal', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      tls: [{ hosts: ['web.example.internal'], secretName: 'web-tls' }],
    });
  });

  test('reads where the database is from the operator-created web-database Secret, and the login only as mounted files', () => {
    const env = container(objects).env as { name: string; valueFrom: { secretKeyRef: { name: string; key: string; optional: boolean } } }[];
    expect(Object.fromEntries(env.map((e) => [e.name, e.valueFrom.secretKeyRef]))).toEqual({
      DATABASE_HOST: { name: 'web-database', key: 'host', optional: false },
      DATABASE_PORT: { name: 'web-database', key: 'port', optional: false },
      DATABASE_NAME: { name: 'web-database', key: 'dbname', optional: false },
    });
    // No credential in an environment variable, from any source.
    expect(yaml).not.toMatch(/key: (username|password)\n\s+name: web-database\n\s+optional: false\n\s+- name/);
    expect(find(objects, 'ConfigMap').data).toEqual({
      APP_ENV: 'generic',
      DATABASE_AUTH: 'files',
      DATABASE_CREDENTIALS_DIR: '/var/run/secrets/platform/database',
      IDENTITY_SOURCE: 'none',
      PORT: '8080',
      SHUTDOWN_TIMEOUT_SECONDS: '10',
    });
    const spec = find(objects, 'Deployment').spec.template.spec;
    expect(spec.volumes).toContainEqual({
      name: 'secret-files',
      secret: {
        secretName: 'web-database',
        optional: false,
        defaultMode: 0o440,
        items: [
          { key: 'password', path: 'password' },
          { key: 'username', path: 'username' },
        ],
      },
    });
    // A whole-directory mount (no subPath): the kubelet swaps the files when the Secret is rotated.
    expect(container(objects).volumeMounts).toContainEqual({ name: 'secret-files', mountPath: '/var/run/secrets/platform/database', readOnly: true });
  });

  test('lets traffic in only from the ingress controller namespace, and to the metrics port only from the API server (the local node address by default)', () => {
    const policy = find(objects, 'NetworkPolicy');
    expect(policy.spec.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }], ports: [{ protocol: 'TCP', port: 8080 }] },
      { from: [{ ipBlock: { cidr: '198.18.0.1/32' } }], ports: [{ protocol: 'TCP', port: 9090 }] },
    ]);
  });

  test('the metrics port admits the configured control-plane addresses instead', () => {
    const config = {
      ...platformConfig,
      portableTargets: platformConfig.portableTargets.map((t) => ({ ...t, metricsScrapeCidrs: ['192.0.2.10/32', '192.0.2.11/32'] })),
    };
    const policy = find(renderTarget(config, 'generic', { images: { app: IMAGE } }).objects, 'NetworkPolicy');
    expect(policy.spec.ingress[1]).toEqual({ from: [{ ipBlock: { cidr: '192.0.2.10/32' } }, { ipBlock: { cidr: '192.0.2.11/32' } }], ports: [{ protocol: 'TCP', port: 9090 }] });
  });
});
