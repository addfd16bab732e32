import type { Construct } from 'constructs';
import type { PlatformConfig, PortableTargetConfig, ServiceWorkload, Workload } from '../config';
import { APP_ENV, DATABASE_PORT, DEFAULT_METRICS_SCRAPE_CIDRS } from '../config';
import { secretRefs } from './aws-target';
import { StandardIngress } from './ingress-generic';
import { declaredEgress, type TargetProfile } from './target';
import type { WebService } from './web-service';

/** Where the workloads' database role username and password are mounted as files (the app's DATABASE_CREDENTIALS_DIR). */
export const DATABASE_CREDENTIALS_DIR = '/var/run/secrets/platform/database';

/**
 * The Secret the cluster operator creates per workload with database access, with its own role's connection (keys
 * host, port, dbname, username, password: the key names of a CloudNativePG `<cluster>-app` Secret).
 */
export function databaseSecretName(workload: string): string {
  return `${workload}-database`;
}

export interface GenericTargetProps {
  readonly config: PlatformConfig;
  readonly target: PortableTargetConfig;
  /**
   * Namespace of the ingress controller, allowed to reach the public services.
   * @default "ingress-nginx"
   */
  readonly ingressControllerNamespace?: string;
  /**
   * Where the database is reachable from the pods.
   * @default - the target's databaseCidr (else any address, "0.0.0.0/0"), port 5432
   */
  readonly database?: { readonly cidr: string; readonly port: number };
}

/**
 * A cluster outside AWS (another cloud, on-prem, local): the same workloads and standard Ingresses, with no AWS
 * annotation, identity or address. Each workload with database access reads its own role's connection from the
 * operator's `<workload>-database` Secret. Object storage is AWS's here: a portable target gives no bucket settings.
 */
export function genericTarget(props: GenericTargetProps): TargetProfile {
  const { config, target } = props;
  return {
    name: target.name,
    namespace: target.namespace,
    production: false,
    workloads: target.workloads,
    partOf: config.project,
    podSecurityVersion: 'latest',
    albPodReadinessGate: false,
    readinessGateSeconds: 0,
    metricsScrapeCidrs: target.metricsScrapeCidrs ?? DEFAULT_METRICS_SCRAPE_CIDRS,
    database: props.database ?? { cidr: target.databaseCidr ?? '0.0.0.0/0', port: DATABASE_PORT },
    publicIngressFrom: { namespaces: [props.ingressControllerNamespace ?? 'ingress-nginx'] },
    environmentOf: (workload: Workload) => {
      const secret = databaseSecretName(workload.name);
      const fromSecret = (key: string) => ({ secretName: secret, key });
      return {
        // No identity source: no proxy in front of the pods signs who the user is (see charts/README.md).
        settings: {
          ...workload.env,
          [APP_ENV.environment]: target.name,
          [APP_ENV.identitySource]: 'none',
          ...(workload.database ? { [APP_ENV.databaseAuth]: 'files', [APP_ENV.databaseCredentialsDir]: DATABASE_CREDENTIALS_DIR } : {}),
        },
        // Where the database is: not secret, read from the same Secret. The login itself only as files.
        secretEnv: {
          ...secretRefs(workload),
          ...(workload.database ? { [APP_ENV.databaseHost]: fromSecret('host'), [APP_ENV.databasePort]: fromSecret('port'), [APP_ENV.databaseName]: fromSecret('dbname') } : {}),
        },
        ...(workload.database ? { secretFiles: { secretName: secret, keys: ['username', 'password'], mountPath: DATABASE_CREDENTIALS_DIR } } : {}),
      };
    },
    egressOf: (workload) => declaredEgress(workload),
    addNamespaceObjects: () => undefined,
    exposePublic: (scope: Construct, service: WebService, declaration: ServiceWorkload) => {
      const exposure: { host?: string; path?: string } = declaration.exposure.kind === 'public' ? declaration.exposure : {};
      new StandardIngress(scope, 'Ingress', {
        workload: service,
        namespace: target.namespace,
        hostname: exposure.host,
        path: exposure.path,
        ingressClassName: target.ingressClassName,
        tlsSecretName: target.tlsSecretName,
      });
    },
  };
}
