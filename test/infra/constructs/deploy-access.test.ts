/**
 * The CI deploy role's access to the application namespace.
 *
 * An EKS access policy is enforced by a webhook authorizer; Kubernetes' escalation check on Roles and RoleBindings
 * counts only RBAC permissions (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping,
 * aws/containers-roadmap#2682), so AmazonEKSAdminPolicy alone cannot create prod's OIDC Secret reader Role/RoleBinding.
 * The access entry therefore also maps the role to a Kubernetes group (EKS adds `kubernetesGroups` to the principal's
 * groups: https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html), which an RBAC RoleBinding
 * created with the cluster binds to ClusterRole admin in the namespace. The same objects (config/deploy-access.ts)
 * set up the local control plane in test/e2e/deploy.e2e.test.ts, where the policy-only variant fails the prod deploy.
 */
import { DEPLOY_ACCESS_POLICY, deployerGroup, deployerRoleBinding, platformConfig } from '../../../config';
import { names } from '../../../infra/names';
import { platform, resourcesOfType } from '../helpers';

const { project } = platformConfig;

/** Manifest objects of the kubectl provider's resources, without the prune label aws-eks-v2 adds. */
function manifests(json: Record<string, any>): [string, any][] {
  return resourcesOfType(json, 'Custom::AWSCDK-EKS-KubernetesResource').flatMap(([id, r]) =>
    (JSON.parse(r.Properties.Manifest) as any[]).map((o) => {
      const labels = Object.fromEntries(Object.entries(o.metadata.labels ?? {}).filter(([k]) => !k.startsWith('aws.cdk.eks/prune-')));
      const metadata = { ...o.metadata, labels };
      if (Object.keys(labels).length === 0) delete metadata.labels;
      return [id, { ...o, metadata }] as [string, any];
    }),
  );
}

describe.each(platformConfig.environments)('$name: the CI deploy role holds admin in its namespace through RBAC', (env) => {
  const json = platform().json(`${project}-${env.name}`);
  const namespace = env.namespace;
  const deployEntry = () => {
    const entries = resourcesOfType(json, 'AWS::EKS::AccessEntry').filter(([, r]) =>
      JSON.stringify(r.Properties.PrincipalArn).includes(`:role/${names.deployRole(platformConfig, env)}`),
    );
    expect(entries).toHaveLength(1);
    return entries[0][1].Properties;
  };

  test('its access entry maps it to the deployers group, besides the namespace-scoped access policy', () => {
    const entry = deployEntry();
    expect(entry.KubernetesGroups).toEqual([deployerGroup(project)]);
    expect(entry.AccessPolicies).toHaveLength(1);
    expect(entry.AccessPolicies[0].AccessScope).toEqual({ Type: 'namespace', Namespaces: [namespace] });
    expect(JSON.stringify(entry.AccessPolicies[0].PolicyArn)).toContain(`cluster-access-policy/${DEPLOY_ACCESS_POLICY}`);
    // EKS refuses groups starting with system: or eks: (reserved).
    expect(deployerGroup(project)).not.toMatch(/^(system|eks):/);
  });

  test('the cluster is created with the RoleBinding of that group to ClusterRole admin, after the namespace', () => {
    const all = manifests(json);
    const bindings = all.filter(([, o]) => o.kind === 'RoleBinding');
    expect(bindings.map(([, o]) => o)).toEqual([deployerRoleBinding(project, namespace)]);
    const [bindingId] = bindings[0];
    const [namespaceId] = all.find(([, o]) => o.kind === 'Namespace' && o.metadata.name === namespace)!;
    expect(json.Resources[bindingId].DependsOn).toContain(namespaceId);
  });

  test('the binding grants admin to the group only, in the namespace only (no ClusterRoleBinding)', () => {
    const binding = deployerRoleBinding(project, namespace);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' });
    expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: deployerGroup(project) }]);
    expect(manifests(json).filter(([, o]) => o.kind === 'ClusterRoleBinding')).toEqual([]);
  });
});
