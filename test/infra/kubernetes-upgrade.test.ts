/**
 * Changing `cluster.kubernetesVersion` must move everything that has a Kubernetes version, in the order EKS requires:
 * the control plane, then the node groups and the add-ons (each after the control plane through its Ref; kube-proxy,
 * CoreDNS, the Pod Identity agent, metrics-server and the CloudWatch add-on after the nodes; the VPC CNI before them).
 * A node group without `Version` stays behind and blocks the next control-plane upgrade ("Nodegroups … must be updated
 * to match cluster version"); kube-proxy and CoreDNS left to EKS's self-managed defaults are never upgraded.
 * https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html
 */
import { EKS_ADDONS, environmentStackName, KUBERNETES_VERSIONS, kubernetesVersionPins, platformConfig, type PlatformConfig } from '../../config';
import { kubernetesVersion } from '../../infra/constructs/cluster';
import { resourcesOfType, synthesizeConfig } from './helpers';

const FROM = '1.35';
const TO = '1.36';

/** Environments synthesized: one non-production and the production one (staging is built as dev is; keeps the test fast). */
const ENVIRONMENTS = ['dev', 'prod'];

/** The default configuration (two of its environments) with every cluster on one Kubernetes version. */
function atVersion(version: string): PlatformConfig {
  const environments = platformConfig.environments.filter((e) => ENVIRONMENTS.includes(e.name));
  // Without the other CI systems, whose settings name every environment (they do not touch the clusters).
  const { delivery: _delivery, ...rest } = platformConfig;
  return { ...rest, environments: environments.map((e) => ({ ...e, cluster: { ...e.cluster, kubernetesVersion: version } })) };
}

/** Every environment stack's template, synthesized from the configuration. */
function synthesize(version: string): Map<string, Record<string, any>> {
  const assembly = synthesizeConfig(atVersion(version), `kubernetes-${version}`);
  return new Map(
    ENVIRONMENTS.map((env) => {
      const name = environmentStackName(platformConfig.project, env);
      return [name, assembly.json(name)];
    }),
  );
}

/** Every Kubernetes-versioned setting of a template, by a stable name: what an upgrade must move. */
function versions(json: Record<string, any>): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [, cluster] of resourcesOfType(json, 'AWS::EKS::Cluster')) found['control plane'] = cluster.Properties.Version;
  for (const [id, nodegroup] of resourcesOfType(json, 'AWS::EKS::Nodegroup')) found[`node group ${id}`] = nodegroup.Properties.Version;
  for (const [, addon] of resourcesOfType(json, 'AWS::EKS::Addon')) found[`add-on ${addon.Properties.AddonName}`] = addon.Properties.AddonVersion;
  for (const [, chart] of resourcesOfType(json, 'Custom::AWSCDK-EKS-HelmChart').filter(([, c]) => c.Properties.Chart === 'cluster-autoscaler')) {
    const values = JSON.parse((chart.Properties.Values['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : 'token')).join(''));
    found['Cluster Autoscaler image'] = values.image.tag;
  }
  return found;
}

/** What the table pins for one version, by the names `versions` uses (node groups by their IDs in `json`). */
function expected(json: Record<string, any>, version: string): Record<string, string> {
  const pins = kubernetesVersionPins(version);
  return {
    'control plane': version,
    ...Object.fromEntries(resourcesOfType(json, 'AWS::EKS::Nodegroup').map(([id]) => [`node group ${id}`, version])),
    ...Object.fromEntries(EKS_ADDONS.map((name) => [`add-on ${name}`, pins.addons[name]])),
    'Cluster Autoscaler image': pins.clusterAutoscalerImage,
  };
}

/** Logical IDs a resource waits for: its DependsOn and the resources its properties Ref or GetAtt, transitively. */
function waitsFor(json: Record<string, any>, id: string, seen = new Set<string>()): Set<string> {
  const resource = json.Resources[id];
  const direct = new Set<string>([...(resource.DependsOn ?? [])]);
  JSON.stringify(resource.Properties ?? {}, (key, value) => {
    if (key === 'Ref' && typeof value === 'string' && json.Resources[value]) direct.add(value);
    if (key === 'Fn::GetAtt' && Array.isArray(value) && json.Resources[value[0]]) direct.add(value[0]);
    return value;
  });
  for (const dependency of direct) {
    if (seen.has(dependency)) continue;
    seen.add(dependency);
    waitsFor(json, dependency, seen);
  }
  return seen;
}

describe(`Kubernetes upgrade ${FROM} → ${TO}: one configuration change moves every version`, () => {
  const before = synthesize(FROM);
  const after = synthesize(TO);

  test('both versions are rows of the pin table, offered by aws-eks-v2 and accepted by config validation', () => {
    for (const version of [FROM, TO]) {
      expect(Object.keys(KUBERNETES_VERSIONS)).toContain(version);
      expect(kubernetesVersion(version, 'test').version).toBe(version);
    }
  });

  test.each([...before.keys()])('%s: every versioned component follows the table, before and after', (stack) => {
    expect(versions(before.get(stack)!)).toEqual(expected(before.get(stack)!, FROM));
    expect(versions(after.get(stack)!)).toEqual(expected(after.get(stack)!, TO));
    expect(resourcesOfType(after.get(stack)!, 'AWS::EKS::Nodegroup').length).toBeGreaterThan(0);
  });

  test.each([...before.keys()])('%s: what the table changes moved, and nothing else stayed behind', (stack) => {
    const [was, is] = [versions(before.get(stack)!), versions(after.get(stack)!)];
    const moved = Object.keys(is).filter((k) => is[k] !== was[k]);
    const [fromPins, toPins] = [expected(before.get(stack)!, FROM), expected(after.get(stack)!, TO)];
    expect(moved.sort()).toEqual(
      Object.keys(toPins)
        .filter((k) => toPins[k] !== fromPins[k])
        .sort(),
    );
    // The control plane, every node group, kube-proxy and the autoscaler move with every minor.
    expect(moved).toEqual(expect.arrayContaining(['control plane', 'add-on kube-proxy', 'Cluster Autoscaler image', ...Object.keys(is).filter((k) => k.startsWith('node group'))]));
  });

  test.each([...after.keys()])('%s: CloudFormation applies them in the order EKS requires', (stack) => {
    const json = after.get(stack)!;
    const [[clusterId]] = resourcesOfType(json, 'AWS::EKS::Cluster');
    const nodegroups = resourcesOfType(json, 'AWS::EKS::Nodegroup').map(([id]) => id);
    const addons = new Map(resourcesOfType(json, 'AWS::EKS::Addon').map(([id, a]) => [a.Properties.AddonName as string, id]));
    for (const id of [...nodegroups, ...addons.values()]) expect(waitsFor(json, id)).toContain(clusterId);
    // The pod network before the nodes join; the rest after the nodes.
    for (const nodegroup of nodegroups) expect(waitsFor(json, nodegroup)).toContain(addons.get('vpc-cni'));
    for (const name of EKS_ADDONS.filter((n) => n !== 'vpc-cni')) {
      for (const nodegroup of nodegroups) expect({ addon: name, waitsForNodes: waitsFor(json, addons.get(name)!).has(nodegroup) }).toEqual({ addon: name, waitsForNodes: true });
    }
  });
});
