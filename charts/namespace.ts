import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { workloadNamespaceLabels } from '../config';
import { ChartInputError } from './errors';
import { checkDnsLabel } from './validation';

export interface WebNamespaceProps {
  /** Name of the namespace. */
  readonly name: string;
  /**
   * Pod Security Standards version pinned in the `*-version` labels, e.g. "v1.35" (the cluster's minor version).
   * @default "latest"
   */
  readonly podSecurityVersion?: string;
  /**
   * Adds `elbv2.k8s.aws/pod-readiness-gate-inject: enabled`, so the AWS Load Balancer Controller injects its pod
   * readiness gate: a new pod only counts as Ready once its ALB target is healthy (zero-downtime rollouts with
   * `target-type: ip`). Only meaningful on EKS with the controller installed.
   * @default false
   */
  readonly albPodReadinessGate?: boolean;
  /**
   * Extra labels.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/** The application's namespace, enforcing (and auditing, warning on) the Pod Security `restricted` profile. */
export class WebNamespace extends Construct {
  readonly namespace: kplus.Namespace;

  constructor(scope: Construct, id: string, props: WebNamespaceProps) {
    super(scope, id);
    checkDnsLabel('namespace', props.name);
    const version = props.podSecurityVersion ?? 'latest';
    if (!/^(latest|v1\.\d{1,2})$/.test(version)) {
      throw new ChartInputError(`podSecurityVersion is ${JSON.stringify(version)}; expected "latest" or "v1.<minor>" such as "v1.35"`);
    }
    // The same builder as infra's Namespace on EKS (config/workload.ts).
    const labels = { ...props.labels, ...workloadNamespaceLabels({ podSecurityVersion: version, albPodReadinessGate: props.albPodReadinessGate ?? false }) };
    this.namespace = new kplus.Namespace(this, 'Resource', { metadata: { name: props.name, labels } });
  }
}
