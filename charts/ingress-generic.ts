import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { ChartInputError } from './errors';
import { checkDnsLabel, checkHostname, checkUrlPath } from './validation';
import { SERVICE_PORT, WebService } from './web-service';

export interface StandardIngressProps {
  /** The web service behind the Ingress. */
  readonly workload: WebService;
  /** Namespace of the Ingress. */
  readonly namespace: string;
  /**
   * Host of the rule.
   * @default - any host (then `path` is required)
   */
  readonly hostname?: string;
  /**
   * Path prefix of the rule.
   * @default "/"
   */
  readonly path?: string;
  /** IngressClass of the cluster's ingress controller, e.g. "nginx" (ingress-nginx). */
  readonly ingressClassName: string;
  /**
   * Name of the Ingress.
   * @default - the workload's name
   */
  readonly name?: string;
  /**
   * TLS Secret (type kubernetes.io/tls) in the namespace, e.g. issued by cert-manager.
   * @default - no TLS section (TLS terminated in front of the ingress controller)
   */
  readonly tlsSecretName?: string;
}

/** A plain networking.k8s.io/v1 Ingress for any controller: no vendor annotation, nothing cloud-specific. */
export class StandardIngress extends Construct {
  readonly ingress: kplus.Ingress;

  constructor(scope: Construct, id: string, props: StandardIngressProps) {
    super(scope, id);
    checkDnsLabel('namespace', props.namespace);
    if (props.hostname !== undefined) checkHostname('hostname', props.hostname);
    if (props.hostname === undefined && props.path === undefined) throw new ChartInputError('the Ingress rule needs a hostname or a path');
    const path = props.path ?? '/';
    checkUrlPath('path', path);
    checkDnsLabel('ingressClassName', props.ingressClassName);
    if (props.tlsSecretName !== undefined) checkDnsLabel('tlsSecretName', props.tlsSecretName);
    this.ingress = new kplus.Ingress(this, 'Resource', {
      metadata: { name: props.name ?? props.workload.name, namespace: props.namespace },
      className: props.ingressClassName,
      rules: [
        {
          ...(props.hostname ? { host: props.hostname } : {}),
          path,
          pathType: kplus.HttpIngressPathType.PREFIX,
          backend: kplus.IngressBackend.fromService(props.workload.service, { port: SERVICE_PORT }),
        },
      ],
      tls: props.tlsSecretName && props.hostname ? [{ hosts: [props.hostname], secret: kplus.Secret.fromSecretName(this, 'Tls', props.tlsSecretName) }] : undefined,
    });
  }
}
