/**
 * `npm run export:helm`: the portable (generic) target as a Helm chart, for teams that install with Helm.
 *
 * cdk8s-cli's `synth --format helm` packages the synthesized YAML as static templates with an empty values.yaml;
 * operators need values, so the chart is generated here instead: the release exactly as `npm run render` writes
 * it (the deploy command's `prepare`), with the fields an operator changes replaced by template expressions at
 * known paths. Every default in values.yaml is the rendered value, so `helm template --set image=X` equals
 * `npm run render -- --image X` object for object (test/deploy/export/helm-chart.test.ts checks that with a real helm).
 * An expected field the chart no longer has fails the export, naming the path (it never exports a chart that
 * silently ignores a value).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { IMAGE_REFERENCE_PATTERN, imagesInUse, MUTABLE_TAGS, type Workload } from '../../config';
import { inputError } from '../errors';
import { clone, toYaml, type KubeObject } from '../manifests';
import { prepare, type PrepareDeps, type PrepareOptions } from '../phases/prepare';

export interface HelmExportOptions {
  /** Portable target to export. */
  readonly target: string;
  /** Chart name and version (package.json `name` and `version`). */
  readonly name: string;
  readonly version: string;
  /** Folder to write the chart into (replaced). */
  readonly outDir: string;
}

/** A syntactically valid image used only to render the chart before the image fields are templated. */
const SENTINEL_IMAGE = 'chart.invalid/image:sentinel';

/** The `required` message of a workload's image. */
export function imageRequiredMessage(workload: string): string {
  return `workloads.${workload}.image is required: --set workloads.${workload}.image=<registry>/<repository>:<tag> or <registry>/<repository>@sha256:<digest> (immutable, not :latest)`;
}

type Json = Record<string, unknown>;

/** One workload's values. */
interface WorkloadValues {
  image: string;
  /** Services: the HorizontalPodAutoscaler's bounds; workers: the Deployment's replicas; CronJobs: none. */
  replicas?: { min: number; max: number } | number;
  resources: Json;
  /** Public services with a host: the Ingress host (rules and TLS). */
  hostname?: string;
  /** Workloads with database access: the Secret with their connection (keys host, port, dbname, username, password). */
  database?: { secretName: string };
}

interface Values {
  workloads: Record<string, WorkloadValues>;
  /** Present when a workload has an Ingress. */
  ingress?: { className: string; controllerNamespace: string; tls: { secretName: string } };
}

/** One replacement: where in which object, and the template text. `block`: the whole `key: value` line is replaced. */
interface Slot {
  readonly expression: string;
  readonly block?: (indent: string) => string;
}

export interface HelmChart {
  readonly dir: string;
  readonly files: readonly string[];
  readonly values: Values;
}

export function exportHelmChart(options: HelmExportOptions, deps: PrepareDeps): HelmChart {
  const { objects, namespace, workloads } = portableRelease(options, deps);
  const slots: Slot[] = [];
  const slot = (s: Slot) => `__HELM_SLOT_${slots.push(s) - 1}__`;
  const fields = workloads.map((w) => templatedFields(objects, w));
  const values = valuesOf(fields);
  for (const f of fields) template(f, values, slot);
  checkEveryCopyTemplated(objects, values);
  const files = writeChart(options, deps, { objects, slots, values, namespace, guards: replicaGuards(fields) });
  return { dir: options.outDir, files, values };
}

/** The portable target's release, rendered offline with a sentinel image per image (the chart's values replace them). */
function portableRelease(options: HelmExportOptions, deps: PrepareDeps): { objects: KubeObject[]; namespace: string; workloads: readonly Workload[] } {
  const portable = deps.config.portableTargets.find((t) => t.name === options.target);
  if (!portable) {
    const allowed = deps.config.portableTargets.map((t) => `"${t.name}"`).join(', ');
    throw inputError(`--target ${JSON.stringify(options.target)} is not a portable target (allowed: ${allowed}); aws environments are deployed with npm run deploy`);
  }
  const images = Object.fromEntries(imagesInUse(deps.config.images, portable.workloads).map((i) => [i.name, SENTINEL_IMAGE]));
  const prepareOptions: PrepareOptions = { env: options.target, images, everyImage: true };
  const { release } = prepare(prepareOptions, deps);
  return {
    objects: [...(release.namespaceObject ? [release.namespaceObject] : []), ...release.objects].map(clone),
    namespace: release.namespace,
    workloads: portable.workloads,
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered objects are untyped JSON, walked by path and checked with expectField
type Spec = KubeObject & { spec: any };

function expectField<T>(value: T | undefined, path: string): T {
  if (value === undefined || value === null) throw new Error(`export:helm: ${path} is missing in the rendered release (the chart changed: update deploy/export/helm-chart.ts)`);
  return value;
}

/** The objects and fields of one workload that the chart's values replace. */
function templatedFields(objects: readonly KubeObject[], workload: Workload) {
  const name = workload.name;
  const find = (kind: string): Spec | undefined => objects.find((x) => x.kind === kind && x.metadata.name === name) as Spec | undefined;
  const need = (kind: string): Spec => {
    const o = find(kind);
    if (!o) throw new Error(`export:helm: the release has no ${kind} ${name} (the chart changed: update deploy/export/helm-chart.ts)`);
    return o;
  };
  const controller = need(workload.kind === 'cronJob' ? 'CronJob' : 'Deployment');
  const pod = expectField(
    (workload.kind === 'cronJob' ? controller.spec.jobTemplate?.spec?.template?.spec : controller.spec.template?.spec) as Json | undefined,
    `${controller.kind} ${name} pod template`,
  );
  const containers = (pod.containers as Json[] | undefined) ?? [];
  const container = expectField(containers.find((c) => c.name === name) ?? (containers.length === 1 ? containers[0] : undefined), `${controller.kind} ${name} container`);
  const ingress = find('Ingress');
  const policy = find('NetworkPolicy');
  const controllerNamespaceRefs = ingress
    ? ((policy?.spec.ingress as { from?: { namespaceSelector?: { matchLabels?: Json } }[] }[] | undefined) ?? [])
        .flatMap((rule) => rule.from ?? [])
        .map((peer) => peer.namespaceSelector?.matchLabels)
        .filter((labels): labels is Json => typeof labels?.['kubernetes.io/metadata.name'] === 'string')
    : [];
  const databaseRefs = ((container.env as { valueFrom?: { secretKeyRef?: { name: string } } }[] | undefined) ?? [])
    .map((e) => e.valueFrom?.secretKeyRef)
    .filter((r): r is { name: string } => !!r);
  // The same Secret mounted as files (username, password): its volume names it too.
  const databaseVolumes = ((pod.volumes as { secret?: { secretName: string } }[] | undefined) ?? [])
    .map((v) => v.secret)
    .filter((s): s is { secretName: string } => !!s && databaseRefs.some((r) => r.name === s.secretName));
  return {
    workload,
    controller,
    container,
    hpa: workload.kind === 'service' ? need('HorizontalPodAutoscaler') : undefined,
    ingress,
    controllerNamespaceRefs,
    databaseRefs,
    databaseVolumes,
  };
}

type Fields = ReturnType<typeof templatedFields>;

/** The chart's default values: what the target renders today. */
function valuesOf(fields: readonly Fields[]): Values {
  const workloads: Record<string, WorkloadValues> = {};
  let ingress: Values['ingress'];
  for (const f of fields) {
    const name = f.workload.name;
    const v: WorkloadValues = { image: '', resources: expectField(f.container.resources as Json | undefined, `workload ${name} container resources`) };
    if (f.hpa) {
      v.replicas = {
        min: expectField(f.hpa.spec.minReplicas as number, `HorizontalPodAutoscaler ${name} spec.minReplicas`),
        max: expectField(f.hpa.spec.maxReplicas as number, `HorizontalPodAutoscaler ${name} spec.maxReplicas`),
      };
    } else if (f.workload.kind === 'worker') {
      v.replicas = expectField(f.controller.spec.replicas as number, `Deployment ${name} spec.replicas`);
    }
    const databaseSecrets = [...new Set(f.databaseRefs.map((r) => r.name))];
    if (databaseSecrets.length > 1) throw new Error(`export:helm: workload ${name} reads several Secrets (${databaseSecrets.join(', ')}); update deploy/export/helm-chart.ts`);
    if (databaseSecrets.length === 1) v.database = { secretName: databaseSecrets[0] };
    if (f.ingress) {
      const host = (f.ingress.spec.rules as { host?: string }[] | undefined)?.[0]?.host;
      if (host) v.hostname = host;
      const tls = (f.ingress.spec.tls as { secretName?: string }[] | undefined) ?? [];
      const shared = {
        className: expectField(f.ingress.spec.ingressClassName as string | undefined, `Ingress ${name} spec.ingressClassName`),
        controllerNamespace: expectField(f.controllerNamespaceRefs[0]?.['kubernetes.io/metadata.name'] as string | undefined, `NetworkPolicy ${name} ingress namespaceSelector`),
        tls: { secretName: tls[0]?.secretName ?? '' },
      };
      if (ingress && JSON.stringify(ingress) !== JSON.stringify(shared)) {
        throw new Error(
          `export:helm: the Ingresses differ in class, controller namespace or TLS Secret (${JSON.stringify(ingress)} vs ${JSON.stringify(shared)}); update deploy/export/helm-chart.ts`,
        );
      }
      ingress = shared;
    }
    workloads[name] = v;
  }
  return { workloads, ...(ingress ? { ingress } : {}) };
}

/** Replaces each templated field of one workload with a slot marker (filled with its Helm expression when the file is written). */
function template(f: Fields, values: Values, slot: (s: Slot) => string): void {
  const name = f.workload.name;
  // `index`: a workload name may hold "-", which a Go template path cannot.
  const v = workloadValues(name);
  f.container.image = slot({ expression: `{{ required ${JSON.stringify(imageRequiredMessage(name))} ${v}.image | quote }}` });
  f.container.resources = slot({ expression: '', block: (indent) => `${indent}resources: {{- toYaml ${v}.resources | nindent ${indent.length + 2} }}` });
  if (f.hpa) {
    f.hpa.spec.minReplicas = slot({ expression: `{{ ${v}.replicas.min | int }}` });
    f.hpa.spec.maxReplicas = slot({ expression: `{{ ${v}.replicas.max | int }}` });
  } else if (f.workload.kind === 'worker') {
    f.controller.spec.replicas = slot({ expression: `{{ ${v}.replicas | int }}` });
  }
  if (f.ingress) {
    f.ingress.spec.ingressClassName = slot({ expression: '{{ .Values.ingress.className | quote }}' });
    const hostname = values.workloads[name].hostname;
    if (hostname !== undefined) {
      const host = slot({ expression: `{{ ${v}.hostname | quote }}` });
      for (const rule of f.ingress.spec.rules as Json[]) rule.host = host;
    }
    f.ingress.spec.tls = slot({
      expression: '',
      block: (indent) =>
        [
          '{{- with .Values.ingress.tls.secretName }}',
          `${indent}tls:`,
          ...(hostname !== undefined
            ? [`${indent}  - hosts:`, `${indent}      - {{ ${workloadValues(name, '$')}.hostname | quote }}`, `${indent}    secretName: {{ . | quote }}`]
            : [`${indent}  - secretName: {{ . | quote }}`]),
          '{{- end }}',
        ].join('\n'),
    });
    const controllerNamespace = slot({ expression: '{{ .Values.ingress.controllerNamespace | quote }}' });
    for (const labels of f.controllerNamespaceRefs) labels['kubernetes.io/metadata.name'] = controllerNamespace;
  }
  if (f.databaseRefs.length > 0) {
    const databaseSecret = slot({ expression: `{{ ${v}.database.secretName | quote }}` });
    for (const ref of f.databaseRefs) ref.name = databaseSecret;
    for (const volume of f.databaseVolumes) volume.secretName = databaseSecret;
  }
}

/** min <= max of each service's replicas: beyond what the values schema can say. One guard per HorizontalPodAutoscaler. */
function replicaGuards(fields: readonly Fields[]): Map<string, string> {
  return new Map(fields.filter((f) => f.hpa).map((f) => [f.workload.name, replicasGuard(f.workload.name)]));
}

/** The template expression of a workload's values (`$`: from inside a `with`). */
function workloadValues(workload: string, root = ''): string {
  return `(index ${root}.Values.workloads ${JSON.stringify(workload)})`;
}

export function replicasGuard(workload: string): string {
  const r = `${workloadValues(workload)}.replicas`;
  return `{{- if gt (int ${r}.min) (int ${r}.max) }}{{ fail (printf "workloads.${workload}.replicas.min (%v) is greater than workloads.${workload}.replicas.max (%v)" ${r}.min ${r}.max) }}{{- end }}`;
}

/** Every place a value appears must be templated: a copy left behind would ignore the operator's setting. */
function checkEveryCopyTemplated(objects: readonly KubeObject[], values: Values): void {
  const checked: [string, string | undefined][] = [
    ['TLS secret', values.ingress?.tls.secretName],
    ['ingress class', values.ingress?.className],
    ...Object.entries(values.workloads).flatMap(([name, w]): [string, string | undefined][] => [
      [`hostname of ${name}`, w.hostname],
      [`database secret of ${name}`, w.database?.secretName],
    ]),
  ];
  for (const [what, value] of checked) {
    const left = value ? objects.filter((o) => JSON.stringify(o).includes(JSON.stringify(value))).map((o) => `${o.kind} ${o.metadata.name}`) : [];
    if (left.length)
      throw new Error(
        `export:helm: the ${what} ${JSON.stringify(value)} also appears in ${left.join(', ')}, which the chart would not template (update deploy/export/helm-chart.ts)`,
      );
  }
}

function writeChart(
  options: HelmExportOptions,
  deps: PrepareDeps,
  chart: { objects: readonly KubeObject[]; slots: readonly Slot[]; values: Values; namespace: string; guards: ReadonlyMap<string, string> },
): string[] {
  rmSync(options.outDir, { recursive: true, force: true });
  mkdirSync(join(options.outDir, 'templates'), { recursive: true });
  const files: string[] = [];
  const write = (file: string, text: string) => {
    writeFileSync(join(options.outDir, file), text);
    files.push(file);
  };
  const names = Object.keys(chart.values.workloads);
  write(
    'Chart.yaml',
    dump({
      apiVersion: 'v2',
      name: options.name,
      version: options.version,
      appVersion: options.version,
      description: `The ${deps.config.project} workloads ${names.join(', ')} (portable target "${options.target}"), generated by npm run export:helm from charts/ (cdk8s); do not edit`,
      type: 'application',
    }),
  );
  write('values.yaml', valuesYaml(chart.values));
  write('values.schema.json', `${JSON.stringify(valuesSchema(chart.values), null, 2)}\n`);
  write('templates/NOTES.txt', notes(chart.namespace, chart.values));
  for (const o of chart.objects) {
    const text = toYaml([o]).replace(/^(\s*)((?:- )?[^\n:]*?:?\s?)__HELM_SLOT_(\d+)__$/gm, (_m, indent: string, key: string, n: string) => {
      const s = chart.slots[Number(n)];
      return s.block ? s.block(indent + (key.startsWith('- ') ? '  ' : '')) : `${indent}${key}${s.expression}`;
    });
    if (text.includes('__HELM_SLOT_')) throw new Error(`export:helm: a templated field of ${o.kind} ${o.metadata.name} was not placed (unexpected YAML shape)`);
    const guard = o.kind === 'HorizontalPodAutoscaler' && chart.guards.has(o.metadata.name) ? `${chart.guards.get(o.metadata.name)}\n` : '';
    write(`templates/${o.kind.toLowerCase()}-${o.metadata.name}.yaml`, guard + text);
  }
  return files;
}

/** The image grammar of the deploy command (config/image.ts): a registry and an immutable tag, or a digest; "" is left to `required`. */
function imageSchema(): object {
  return {
    type: 'string',
    description: 'registry/repository:tag (immutable tag) or registry/repository@sha256:<digest>',
    anyOf: [
      { const: '' },
      {
        allOf: [
          { pattern: IMAGE_REFERENCE_PATTERN },
          { not: { pattern: `:(?i:${MUTABLE_TAGS.join('|')})$` } },
          { anyOf: [{ pattern: '@sha256:[a-f0-9]{64}$' }, { pattern: '^[^@]+/[^@/:]+:[\\w][\\w.-]{0,127}$' }] },
        ],
      },
    ],
  };
}

/**
 * values.schema.json: Helm checks it on lint, template and install. Each workload's keys are those it has (a worker
 * has a number of replicas, a service min and max, a CronJob none); an unknown workload or key is refused.
 */
function valuesSchema(values: Values): object {
  const text = (minLength = 1) => ({ type: 'string', minLength });
  const hostname = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$' };
  const workload = (w: WorkloadValues) => {
    const properties: Record<string, object> = {
      image: imageSchema(),
      resources: { type: 'object', properties: { requests: { type: 'object' }, limits: { type: 'object' } } },
    };
    if (typeof w.replicas === 'number') properties.replicas = { type: 'integer', minimum: 0 };
    else if (w.replicas) {
      properties.replicas = {
        type: 'object',
        required: ['min', 'max'],
        additionalProperties: false,
        properties: { min: { type: 'integer', minimum: 1 }, max: { type: 'integer', minimum: 1 } },
      };
    }
    if (w.hostname !== undefined) properties.hostname = hostname;
    if (w.database) properties.database = { type: 'object', required: ['secretName'], additionalProperties: false, properties: { secretName: text() } };
    return { type: 'object', required: Object.keys(properties), additionalProperties: false, properties };
  };
  return {
    type: 'object',
    required: ['workloads', ...(values.ingress ? ['ingress'] : [])],
    properties: {
      workloads: {
        type: 'object',
        required: Object.keys(values.workloads),
        additionalProperties: false,
        properties: Object.fromEntries(Object.entries(values.workloads).map(([name, w]) => [name, workload(w)])),
      },
      ...(values.ingress
        ? {
            ingress: {
              type: 'object',
              required: ['className', 'controllerNamespace', 'tls'],
              properties: { className: text(), controllerNamespace: text(), tls: { type: 'object', properties: { secretName: text(0) } } },
            },
          }
        : {}),
    },
  };
}

function valuesYaml(v: Values): string {
  const y = (o: unknown, indent = '') =>
    dump(o, { lineWidth: -1 })
      .trimEnd()
      .split('\n')
      .map((l) => indent + l)
      .join('\n');
  const lines = [
    '# Values of the workloads. Defaults are those of the portable target in config/platform.ts.',
    '#   image (required): registry/repository:tag (immutable tag, not latest) or registry/repository@sha256:<digest>',
    "#   replicas: services {min, max} of their HorizontalPodAutoscaler (it owns the Deployment's replicas); workers a number",
    '#   resources: container requests and limits (memory request = limit: never OOM-killed for using what it asked for)',
    '#   hostname: public services, the host of their Ingress (rules and TLS)',
    '#   database.secretName: the Secret with its database connection (keys host, port, dbname, username, password), created by the operator',
    'workloads:',
  ];
  for (const [name, w] of Object.entries(v.workloads)) {
    const { image, ...rest } = w;
    lines.push(`  ${name}:`, `    image: ${JSON.stringify(image)}`, y(rest, '    '));
  }
  if (v.ingress) {
    lines.push(
      '# className: the IngressClass; controllerNamespace: the namespace the ingress controller runs in (the NetworkPolicies let only it reach the pods);',
      '# tls.secretName: the certificate Secret for the hosts ("" = no TLS section).',
      y({ ingress: v.ingress }),
    );
  }
  lines.push('');
  return lines.join('\n');
}

function notes(namespace: string, values: Values): string {
  const secrets = Object.entries(values.workloads).filter(([, w]) => w.database);
  return [
    `The workloads ${Object.keys(values.workloads).join(', ')} run in namespace ${namespace} (created by this chart, with Pod Security "restricted"; install without --create-namespace).`,
    ...secrets.map(([name]) => `${name} needs Secret {{ ${workloadValues(name)}.database.secretName }} in that namespace (keys host, port, dbname, username, password).`),
    ...(values.ingress ? ['{{- with .Values.ingress.tls.secretName }}', 'TLS: Secret {{ . }} for the hosts of the Ingresses.', '{{- end }}'] : []),
    '',
  ].join('\n');
}
