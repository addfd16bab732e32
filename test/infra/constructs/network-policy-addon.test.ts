/**
 * NetworkPolicies on EKS are enforced only by the VPC CNI's network policy agent, which is off unless the `vpc-cni`
 * add-on is configured with `enableNetworkPolicy: "true"` (add-on v1.14.0 or later):
 * https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html and
 * https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html.
 * EKS installs vpc-cni self-managed with every cluster; creating the managed add-on over it needs
 * `ResolveConflicts: OVERWRITE` (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAddon.html).
 */
import { kubernetesVersionPins, platformConfig } from '../../../config';
import { platform, resourcesOfType } from '../helpers';

const environments = platformConfig.environments.map((e) => e.name);
const kubernetesVersionOf = (name: string) => platformConfig.environments.find((e) => e.name === name)!.cluster.kubernetesVersion;

/** [major, minor, patch] of an add-on version such as "v1.21.1-eksbuild.5". */
function semver(version: string): [number, number, number] {
  const m = /^v(\d+)\.(\d+)\.(\d+)-eksbuild\.\d+$/.exec(version);
  if (!m) throw new Error(`add-on version ${JSON.stringify(version)} is not of the form vX.Y.Z-eksbuild.N`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

describe.each(environments)('%s: the VPC CNI enforces NetworkPolicies', (name) => {
  const json = platform().json(`${platformConfig.project}-${name}`);
  const addons = resourcesOfType(json, 'AWS::EKS::Addon').filter(([, r]) => r.Properties.AddonName === 'vpc-cni');

  test('vpc-cni is a managed add-on with the network policy agent on', () => {
    expect(addons).toHaveLength(1);
    const [, addon] = addons[0];
    expect(JSON.parse(addon.Properties.ConfigurationValues)).toEqual({ enableNetworkPolicy: 'true' });
    // Takes over the self-managed installation EKS creates with the cluster, instead of failing on it.
    expect(addon.Properties.ResolveConflicts).toBe('OVERWRITE');
  });

  test("its version is the one pinned for the cluster's Kubernetes version, new enough for network policies (v1.14.0+)", () => {
    const [, addon] = addons[0];
    expect(addon.Properties.AddonVersion).toBe(kubernetesVersionPins(kubernetesVersionOf(name)).addons['vpc-cni']);
    const [major, minor] = semver(addon.Properties.AddonVersion);
    expect(major > 1 || (major === 1 && minor >= 14)).toBe(true);
  });

  test('the managed node group joins only once the add-on is configured', () => {
    const [addonId] = addons[0];
    const nodegroups = resourcesOfType(json, 'AWS::EKS::Nodegroup');
    expect(nodegroups.length).toBeGreaterThan(0);
    for (const [, nodegroup] of nodegroups) expect(nodegroup.DependsOn).toContain(addonId);
  });
});
