import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { loadAll } from 'js-yaml';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Folder of the vendored CRDs (infra/crds/), one file per chart version (`aws-load-balancer-controller-<version>.yaml`).
 * Found from the repository root, the nearest folder above this module with a package.json: this module runs from
 * infra/constructs/ (tests) and bundled into dist/ (synth).
 */
export function crdsDir(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'infra', 'crds');
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}: cannot find infra/crds/`);
  }
}
/** Label naming the chart version a CRD came with: a chart bump changes every CRD manifest, so each is applied again. */
export const CHART_VERSION_LABEL = 'app.kubernetes.io/version';

interface CustomResourceDefinition {
  readonly apiVersion: string;
  readonly kind: 'CustomResourceDefinition';
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string>; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

/** Parsed files, by path: every environment's cluster applies the same CRDs, and parsing ~130 KB of YAML is not free. */
const parsed = new Map<string, readonly CustomResourceDefinition[]>();

/** The CustomResourceDefinitions of one chart version, from `<dir>/aws-load-balancer-controller-<version>.yaml`. */
export function albControllerCrds(chartVersion: string, dir = crdsDir()): readonly CustomResourceDefinition[] {
  const file = join(dir, `aws-load-balancer-controller-${chartVersion}.yaml`);
  const known = parsed.get(file);
  if (known) return known;
  if (!existsSync(file)) {
    throw new Error(
      `AWS Load Balancer Controller chart ${chartVersion}: ${file} is missing; copy the chart's crds/*.yaml of that version there (helm upgrade does not update CRDs, the platform applies them)`,
    );
  }
  const documents = loadAll(readFileSync(file, 'utf8')).filter((d) => d !== null && d !== undefined);
  const crds = documents.filter((d): d is CustomResourceDefinition => typeof d === 'object' && d !== null && (d as { kind?: unknown }).kind === 'CustomResourceDefinition');
  if (crds.length === 0 || crds.length !== documents.length) {
    throw new Error(`${file}: expected only CustomResourceDefinitions, found ${documents.length} documents of which ${crds.length} CRDs`);
  }
  parsed.set(file, crds);
  return crds;
}

export interface AlbControllerCrdsProps {
  readonly cluster: eks.ICluster;
  /** The controller's Helm chart version; its CRDs are applied from the vendored file of that version. */
  readonly chartVersion: string;
  /** @default crdsDir() */
  readonly crdsDir?: string;
}

/**
 * The controller chart's CRDs as manifests (kubectl apply, one custom resource per CRD), so a chart bump updates them:
 * Helm installs a chart's `crds/` on the first install only and never upgrades them. The chart is installed with
 * `skipCrds` and must depend on this construct. Each CRD's ID is its name (never the version): a chart bump updates
 * it in place; a new ID would create the new copy and then delete the old one, and deleting a CRD deletes every
 * object of it (the controller's TargetGroupBindings).
 */
export class AlbControllerCrdManifests extends Construct {
  readonly manifests: eks.KubernetesManifest[];

  constructor(scope: Construct, id: string, props: AlbControllerCrdsProps) {
    super(scope, id);
    this.manifests = albControllerCrds(props.chartVersion, props.crdsDir).map((crd) => {
      const labelled = { ...crd, metadata: { ...crd.metadata, labels: { ...crd.metadata.labels, [CHART_VERSION_LABEL]: props.chartVersion } } };
      return new eks.KubernetesManifest(this, crd.metadata.name, {
        cluster: props.cluster,
        manifest: [labelled],
        // kubectl apply (not create): the first Helm install of an existing cluster created these CRDs already.
        overwrite: true,
      });
    });
  }
}
