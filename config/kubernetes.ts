/**
 * Everything that must move when a cluster's Kubernetes minor version moves, in one table: the EKS add-ons (pinned,
 * so a cluster never changes its network, DNS or agents on its own) and the Cluster Autoscaler image (its minor must
 * equal the cluster's). Changing `cluster.kubernetesVersion` in config/platform.ts picks another row, and one deploy
 * moves the control plane, then the node groups and the add-ons (docs/upgrades.md).
 *
 * Add a row before moving a cluster to a new minor: `aws eks describe-addon-versions --kubernetes-version <v>
 * --addon-name <name> --query 'addons[].addonVersions[].addonVersion'` lists what EKS offers for each add-on.
 */

/** The EKS add-ons every cluster runs as EKS-managed add-ons (none of them is left to EKS's self-managed defaults). */
export const EKS_ADDONS = ['vpc-cni', 'kube-proxy', 'coredns', 'eks-pod-identity-agent', 'metrics-server', 'amazon-cloudwatch-observability'] as const;
export type EksAddonName = (typeof EKS_ADDONS)[number];

export interface KubernetesVersionPins {
  /** Version of each EKS add-on, as `describe-addon-versions` spells it (e.g. "v1.35.3-eksbuild.2"). */
  readonly addons: Readonly<Record<EksAddonName, string>>;
  /** Cluster Autoscaler image tag; its minor equals the Kubernetes minor. */
  readonly clusterAutoscalerImage: string;
}

/**
 * Pins per Kubernetes minor. Sources (read in December 2026, no AWS account from here): kube-proxy and CoreDNS for 1.35
 * from the EKS user guide's version tables ("Manage kube-proxy", "Manage CoreDNS"); vpc-cni, metrics-server and
 * amazon-cloudwatch-observability are the versions the platform already ran on 1.35 (each supports a range of
 * Kubernetes versions; so does CoreDNS, whose 1.35 build also served 1.33 and 1.34). The 1.36 kube-proxy build and both
 * eks-pod-identity-agent builds were not listed in the documentation available here: confirm them with `describe-addon-versions` before the upgrade (docs/upgrades.md,
 * step 1); a wrong one fails the add-on's update and CloudFormation rolls the stack back.
 */
export const KUBERNETES_VERSIONS: Readonly<Record<string, KubernetesVersionPins>> = {
  '1.35': {
    addons: {
      'vpc-cni': 'v1.21.1-eksbuild.5',
      'kube-proxy': 'v1.35.3-eksbuild.2',
      coredns: 'v1.13.2-eksbuild.4',
      'eks-pod-identity-agent': 'v1.3.10-eksbuild.2',
      'metrics-server': 'v0.8.0-eksbuild.6',
      'amazon-cloudwatch-observability': 'v4.5.0-eksbuild.1',
    },
    clusterAutoscalerImage: 'v1.35.2',
  },
  '1.36': {
    addons: {
      'vpc-cni': 'v1.21.1-eksbuild.5',
      'kube-proxy': 'v1.36.1-eksbuild.2',
      coredns: 'v1.13.2-eksbuild.4',
      'eks-pod-identity-agent': 'v1.3.10-eksbuild.2',
      'metrics-server': 'v0.8.0-eksbuild.6',
      'amazon-cloudwatch-observability': 'v4.5.0-eksbuild.1',
    },
    clusterAutoscalerImage: 'v1.36.1',
  },
};

/** Kubernetes minor versions the platform can run: the rows of KUBERNETES_VERSIONS (aws-eks-v2 knows each). */
export const SUPPORTED_KUBERNETES_VERSIONS: readonly string[] = Object.keys(KUBERNETES_VERSIONS);

/** The pins of one Kubernetes minor; the error names the version received and the rows that exist. */
export function kubernetesVersionPins(version: string): KubernetesVersionPins {
  const pins = Object.hasOwn(KUBERNETES_VERSIONS, version) ? KUBERNETES_VERSIONS[version] : undefined;
  if (!pins) {
    throw new Error(
      `Kubernetes version ${JSON.stringify(version)} has no row in config/kubernetes.ts (KUBERNETES_VERSIONS); pinned: ${SUPPORTED_KUBERNETES_VERSIONS.join(', ')}. Add its add-on versions and Cluster Autoscaler image first`,
    );
  }
  return pins;
}
