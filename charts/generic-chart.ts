import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { APP_ENV, DATABASE_PORT, DEFAULT_METRICS_SCRAPE_CIDRS, METRICS_PORT, WORKLOAD_NAME, type PlatformConfig, type PortableTargetConfig } from '../config';
import { StandardIngress } from './ingress-generic';
import { WebNamespace } from './namespace';
import { WebNetworkPolicy } from './network-policy';
import { CONTAINER_PORT, WebService } from './web-service';

/** Secret the cluster operator creates with the database connection (keys host, port, dbname, username, password). */
export const DATABASE_SECRET_NAME = `${WORKLOAD_NAME}-database`;
/** Where the application role's username and password are mounted as files (the app's DATABASE_CREDENTIALS_DIR). */
export const DATABASE_CREDENTIALS_DIR = '/var/run/secrets/platform/database';

export interface GenericWebChartProps {
  readonly config: PlatformConfig;
  readonly target: PortableTargetConfig;
  /** Container image (see `WebServiceProps.image`). */
  readonly image: string;
  /**
   * Namespace of the ingress controller, allowed to reach the pods.
   * @default "ingress-nginx"
   */
  readonly ingressControllerNamespace?: string;
  /**
   * Where the database is reachable from the pods.
   * @default - any address ("0.0.0.0/0"), port 5432
   */
  readonly database?: { readonly cidr: string; readonly port: number };
}

/**
 * A cluster outside AWS (another cloud, on-prem, local): the same workload and a standard Ingress, with no AWS
 * annotation, identity or address. Database settings come from the operator's `web-database` Secret
 * (the key names of a CloudNativePG `<cluster>-app` Secret).
 */
export class GenericWebChart extends Chart {
  readonly workload: WebService;

  constructor(scope: Construct, id: string, props: GenericWebChartProps) {
    const { config, target } = props;
    super(scope, id, { labels: { 'app.kubernetes.io/part-of': config.project, 'app.kubernetes.io/managed-by': 'cdk8s' } });
    const namespace = target.workload.namespace;

    new WebNamespace(this, 'Namespace', { name: namespace });

    const fromSecret = (key: string) => ({ secretName: DATABASE_SECRET_NAME, key });
    this.workload = new WebService(this, 'Web', {
      namespace,
      image: props.image,
      partOf: config.project,
      minReplicas: target.workload.minReplicas,
      maxReplicas: target.workload.maxReplicas,
      cpuMillis: target.workload.cpuMillis,
      memoryMiB: target.workload.memoryMiB,
      // No identity source: no proxy in front of the pods signs who the user is (see charts/README.md).
      settings: {
        [APP_ENV.environment]: target.name,
        [APP_ENV.databaseAuth]: 'files',
        [APP_ENV.databaseCredentialsDir]: DATABASE_CREDENTIALS_DIR,
        [APP_ENV.identitySource]: 'none',
      },
      // Where the database is: not secret, read from the same Secret. The login itself only as files.
      secretEnv: {
        [APP_ENV.databaseHost]: fromSecret('host'),
        [APP_ENV.databasePort]: fromSecret('port'),
        [APP_ENV.databaseName]: fromSecret('dbname'),
      },
      secretFiles: { secretName: DATABASE_SECRET_NAME, keys: ['username', 'password'], mountPath: DATABASE_CREDENTIALS_DIR },
    });

    const database = props.database ?? { cidr: '0.0.0.0/0', port: DATABASE_PORT };
    new WebNetworkPolicy(this, 'NetworkPolicy', {
      namespace,
      podLabels: this.workload.selectorLabels,
      port: CONTAINER_PORT,
      ingressFromNamespaces: [props.ingressControllerNamespace ?? 'ingress-nginx'],
      // The API server's pod proxy (canary analysis) connects from the control plane's addresses.
      metrics: { port: METRICS_PORT, fromCidrs: target.metricsScrapeCidrs ?? DEFAULT_METRICS_SCRAPE_CIDRS },
      database,
    });

    new StandardIngress(this, 'Ingress', {
      workload: this.workload,
      namespace,
      hostname: target.workload.hostname,
      ingressClassName: target.ingressClassName,
      tlsSecretName: target.tlsSecretName,
    });
  }
}
