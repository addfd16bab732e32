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
import { IMAGE_REFERENCE_PATTERN, MUTABLE_TAGS } from '../../config';
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

/** A syntactically valid image used only to render the chart before the image field is templated. */
const SENTINEL_IMAGE = 'chart.invalid/image:sentinel';

export const IMAGE_REQUIRED_MESSAGE = 'image is required: --set image=<registry>/<repository>:<tag> or <registry>/<repository>@sha256:<digest> (immutable, not :latest)';

type Json = Record<string, unknown>;
interface Values {
  image: string;
  hostname: string;
  replicas: { min: number; max: number };
  resources: Json;
  ingress: { className: string; controllerNamespace: string; tls: { secretName: string } };
  database: { secretName: string };
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
  const { objects, namespace } = portableRelease(options, deps);
  const slots: Slot[] = [];
  const slot = (s: Slot) => `__HELM_SLOT_${slots.push(s) - 1}__`;
  const fields = templatedFields(objects);
  const values = valuesOf(fields);
  template(fields, slot);
  checkEveryCopyTemplated(objects, values);
  const files = writeChart(options, deps, { objects, slots, values, namespace });
  return { dir: options.outDir, files, values };
}

/** The portable target's release, rendered offline with a sentinel image (the chart's value replaces it). */
function portableRelease(options: HelmExportOptions, deps: PrepareDeps): { objects: KubeObject[]; namespace: string } {
  const portable = deps.config.portableTargets.find((t) => t.name === options.target);
  if (!portable) {
    const allowed = deps.config.portableTargets.map((t) => `"${t.name}"`).join(', ');
    throw inputError(`--target ${JSON.stringify(options.target)} is not a portable target (allowed: ${allowed}); aws environments are deployed with npm run deploy`);
  }
  const prepareOptions: PrepareOptions = { env: options.target, image: SENTINEL_IMAGE };
  const { release } = prepare(prepareOptions, deps);
  return { objects: [...(release.namespaceObject ? [release.namespaceObject] : []), ...release.objects].map(clone), namespace: release.namespace };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered objects are untyped JSON, walked by path and checked with expectField
type Spec = KubeObject & { spec: any };

function expectField<T>(value: T | undefined, path: string): T {
  if (value === undefined || value === null) throw new Error(`export:helm: ${path} is missing in the rendered release (the chart changed: update deploy/export/helm-chart.ts)`);
  return value;
}

/** The objects and fields the chart's values replace. */
function templatedFields(objects: readonly KubeObject[]) {
  const find = (kind: string, name: string): Spec => {
    const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
    if (!o) throw new Error(`export:helm: the release has no ${kind} ${name} (the chart changed: update deploy/export/helm-chart.ts)`);
    return o as Spec;
  };
  const deployment = find('Deployment', 'web');
  const container = expectField(
    (deployment.spec.template?.spec?.containers as Json[] | undefined)?.find((c) => c.name === 'web'),
    'Deployment web container web',
  );
  const policy = find('NetworkPolicy', 'web');
  const controllerNamespaceRefs = ((policy.spec.ingress as { from?: { namespaceSelector?: { matchLabels?: Json } }[] }[] | undefined) ?? [])
    .flatMap((rule) => rule.from ?? [])
    .map((peer) => peer.namespaceSelector?.matchLabels)
    .filter((labels): labels is Json => typeof labels?.['kubernetes.io/metadata.name'] === 'string');
  const databaseRefs = ((container.env as { valueFrom?: { secretKeyRef?: { name: string } } }[] | undefined) ?? [])
    .map((e) => e.valueFrom?.secretKeyRef)
    .filter((r): r is { name: string } => !!r);
  // The same Secret mounted as files (username, password): its volume names it too.
  const databaseVolumes = ((deployment.spec.template?.spec?.volumes as { secret?: { secretName: string } }[] | undefined) ?? [])
    .map((v) => v.secret)
    .filter((s): s is { secretName: string } => !!s && databaseRefs.some((r) => r.name === s.secretName));
  return { container, hpa: find('HorizontalPodAutoscaler', 'web'), ingress: find('Ingress', 'web'), controllerNamespaceRefs, databaseRefs, databaseVolumes };
}

type Fields = ReturnType<typeof templatedFields>;

/** The chart's default values: what the target renders today. */
function valuesOf({ container, hpa, ingress, controllerNamespaceRefs, databaseRefs }: Fields): Values {
  const tls = (ingress.spec.tls as { hosts?: string[]; secretName?: string }[] | undefined) ?? [];
  return {
    image: '',
    hostname: expectField(ingress.spec.rules?.[0]?.host as string | undefined, 'Ingress web spec.rules[0].host'),
    replicas: {
      min: expectField(hpa.spec.minReplicas as number, 'HorizontalPodAutoscaler web spec.minReplicas'),
      max: expectField(hpa.spec.maxReplicas as number, 'HorizontalPodAutoscaler web spec.maxReplicas'),
    },
    resources: expectField(container.resources as Json | undefined, 'Deployment web container web resources'),
    ingress: {
      className: expectField(ingress.spec.ingressClassName as string | undefined, 'Ingress web spec.ingressClassName'),
      controllerNamespace: expectField(controllerNamespaceRefs[0]?.['kubernetes.io/metadata.name'] as string | undefined, 'NetworkPolicy web ingress namespaceSelector'),
      tls: { secretName: tls[0]?.secretName ?? '' },
    },
    database: { secretName: expectField(databaseRefs[0]?.name, 'Deployment web container web env secretKeyRef') },
  };
}

/** Replaces each templated field with a slot marker (filled with its Helm expression when the file is written). */
function template({ container, hpa, ingress, controllerNamespaceRefs, databaseRefs, databaseVolumes }: Fields, slot: (s: Slot) => string): void {
  container.image = slot({ expression: `{{ required ${JSON.stringify(IMAGE_REQUIRED_MESSAGE)} .Values.image | quote }}` });
  container.resources = slot({ expression: '', block: (indent) => `${indent}resources: {{- toYaml .Values.resources | nindent ${indent.length + 2} }}` });
  hpa.spec.minReplicas = slot({ expression: '{{ .Values.replicas.min | int }}' });
  hpa.spec.maxReplicas = slot({ expression: '{{ .Values.replicas.max | int }}' });
  ingress.spec.ingressClassName = slot({ expression: '{{ .Values.ingress.className | quote }}' });
  const host = slot({ expression: '{{ .Values.hostname | quote }}' });
  for (const rule of ingress.spec.rules as Json[]) rule.host = host;
  ingress.spec.tls = slot({
    expression: '',
    block: (indent) =>
      [
        '{{- with .Values.ingress.tls.secretName }}',
        `${indent}tls:`,
        `${indent}  - hosts:`,
        `${indent}      - {{ $.Values.hostname | quote }}`,
        `${indent}    secretName: {{ . | quote }}`,
        '{{- end }}',
      ].join('\n'),
  });
  const controllerNamespace = slot({ expression: '{{ .Values.ingress.controllerNamespace | quote }}' });
  for (const labels of controllerNamespaceRefs) labels['kubernetes.io/metadata.name'] = controllerNamespace;
  const databaseSecret = slot({ expression: '{{ .Values.database.secretName | quote }}' });
  for (const ref of databaseRefs) ref.name = databaseSecret;
  for (const volume of databaseVolumes) volume.secretName = databaseSecret;
}

/** Every place a value appears must be templated: a copy left behind would ignore the operator's setting. */
function checkEveryCopyTemplated(objects: readonly KubeObject[], values: Values): void {
  for (const [what, value] of [
    ['hostname', values.hostname],
    ['TLS secret', values.ingress.tls.secretName],
    ['database secret', values.database.secretName],
    ['ingress class', values.ingress.className],
  ] as const) {
    const left = value ? objects.filter((o) => JSON.stringify(o).includes(JSON.stringify(value))).map((o) => `${o.kind} ${o.metadata.name}`) : [];
    if (left.length)
      throw new Error(
        `export:helm: the ${what} ${JSON.stringify(value)} also appears in ${left.join(', ')}, which the chart would not template (update deploy/export/helm-chart.ts)`,
      );
  }
}

function writeChart(options: HelmExportOptions, deps: PrepareDeps, chart: { objects: readonly KubeObject[]; slots: readonly Slot[]; values: Values; namespace: string }): string[] {
  rmSync(options.outDir, { recursive: true, force: true });
  mkdirSync(join(options.outDir, 'templates'), { recursive: true });
  const files: string[] = [];
  const write = (file: string, text: string) => {
    writeFileSync(join(options.outDir, file), text);
    files.push(file);
  };
  write(
    'Chart.yaml',
    dump({
      apiVersion: 'v2',
      name: options.name,
      version: options.version,
      appVersion: options.version,
      description: `The ${deps.config.project} web workload (portable target "${options.target}"), generated by npm run export:helm from charts/ (cdk8s); do not edit`,
      type: 'application',
    }),
  );
  write('values.yaml', valuesYaml(chart.values));
  write('values.schema.json', `${JSON.stringify(valuesSchema(), null, 2)}\n`);
  write('templates/NOTES.txt', notes(chart.namespace));
  for (const o of chart.objects) {
    const text = toYaml([o]).replace(/^(\s*)((?:- )?[^\n:]*?:?\s?)__HELM_SLOT_(\d+)__$/gm, (_m, indent: string, key: string, n: string) => {
      const s = chart.slots[Number(n)];
      return s.block ? s.block(indent + (key.startsWith('- ') ? '  ' : '')) : `${indent}${key}${s.expression}`;
    });
    if (text.includes('__HELM_SLOT_')) throw new Error(`export:helm: a templated field of ${o.kind} ${o.metadata.name} was not placed (unexpected YAML shape)`);
    // min <= max: beyond what the values schema can say.
    const guard = o.kind === 'HorizontalPodAutoscaler' ? `${REPLICAS_GUARD}\n` : '';
    write(`templates/${o.kind.toLowerCase()}-${o.metadata.name}.yaml`, guard + text);
  }
  return files;
}

export const REPLICAS_GUARD =
  '{{- if gt (int .Values.replicas.min) (int .Values.replicas.max) }}{{ fail (printf "replicas.min (%v) is greater than replicas.max (%v)" .Values.replicas.min .Values.replicas.max) }}{{- end }}';

/**
 * values.schema.json: Helm checks it on lint, template and install. The image follows the deploy command's grammar
 * (config/image.ts): a reference with a registry and an immutable tag, or a digest; "" is left to `required`.
 */
function valuesSchema(): object {
  const text = (minLength = 1) => ({ type: 'string', minLength });
  return {
    type: 'object',
    required: ['image', 'hostname', 'replicas', 'resources', 'ingress', 'database'],
    properties: {
      image: {
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
      },
      hostname: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$' },
      replicas: { type: 'object', required: ['min', 'max'], properties: { min: { type: 'integer', minimum: 1 }, max: { type: 'integer', minimum: 1 } } },
      resources: { type: 'object', properties: { requests: { type: 'object' }, limits: { type: 'object' } } },
      ingress: {
        type: 'object',
        required: ['className', 'controllerNamespace', 'tls'],
        properties: { className: text(), controllerNamespace: text(), tls: { type: 'object', properties: { secretName: text(0) } } },
      },
      database: { type: 'object', required: ['secretName'], properties: { secretName: text() } },
    },
  };
}

function valuesYaml(v: Values): string {
  const y = (o: unknown) => dump(o, { lineWidth: -1 }).trimEnd();
  return [
    '# Values of the web workload. Defaults are those of the portable target in config/platform.ts.',
    '',
    '# Required: the image to run, registry/repository:tag (immutable tag, not latest) or registry/repository@sha256:<digest>.',
    `image: ""`,
    '# Host name of the Ingress (rules and TLS).',
    y({ hostname: v.hostname }),
    "# The HorizontalPodAutoscaler keeps between min and max replicas (it owns the Deployment's replicas).",
    y({ replicas: v.replicas }),
    '# Container resources (memory request = limit: never OOM-killed for using what it asked for).',
    y({ resources: v.resources }),
    '# className: the IngressClass; controllerNamespace: the namespace the ingress controller runs in (the NetworkPolicy lets only it reach the pods);',
    '# tls.secretName: the certificate Secret for the host ("" = no TLS section).',
    y({ ingress: v.ingress }),
    '# Secret with the database connection (keys host, port, dbname, username, password), created by the operator.',
    y({ database: v.database }),
    '',
  ].join('\n');
}

function notes(namespace: string): string {
  return [
    'The web workload runs in namespace ' + namespace + ' (created by this chart, with Pod Security "restricted"; install without --create-namespace).',
    'It needs Secret {{ .Values.database.secretName }} in that namespace (keys host, port, dbname, username, password).',
    '{{- with .Values.ingress.tls.secretName }}',
    'TLS: Secret {{ . }} for {{ $.Values.hostname }}.',
    '{{- end }}',
    '',
  ].join('\n');
}
