/**
 * What the CI deploy role may do in the application namespace, defined once for the infrastructure (the EKS access
 * entry and the RBAC RoleBinding it creates with the cluster) and for the end-to-end tests (the local control
 * plane's access entries, cluster/access/).
 *
 * Why a group bound by RBAC, on top of the access policy: an EKS access policy is granted by a webhook authorizer,
 * and Kubernetes' escalation check on Roles and RoleBindings counts only permissions held through RBAC
 * (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping,
 * aws/containers-roadmap#2682). With AmazonEKSAdminPolicy alone the deploy role cannot create the Role/RoleBinding
 * that lets the load balancer controller read the OIDC client Secret (prod). EKS puts an access entry's
 * `kubernetesGroups` into the principal's groups (https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html),
 * so binding that group to ClusterRole `admin` in the namespace gives the same permissions through RBAC.
 */

/** The EKS access policy of the CI deploy role, associated with the application namespace only. */
export const DEPLOY_ACCESS_POLICY = 'AmazonEKSAdminPolicy';

/** The ClusterRole whose permissions the deployers group gets in the application namespace (= the access policy's). */
export const DEPLOY_CLUSTER_ROLE = 'admin';

/**
 * Kubernetes group of the CI deploy role's access entry. EKS refuses group names starting with `system:` or `eks:`.
 */
export function deployerGroup(project: string): string {
  return `${project}:deployers`;
}

/** The RoleBinding (created with the cluster, by the infrastructure) that gives the deployers group `admin` in the namespace. */
export function deployerRoleBinding(project: string, namespace: string) {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: `${project}-deployers-${DEPLOY_CLUSTER_ROLE}`, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: DEPLOY_CLUSTER_ROLE },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: deployerGroup(project) }],
  };
}
