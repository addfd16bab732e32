/** Reads the stacks of a synthesized cloud assembly (`cdk.out/manifest.json`), nested assemblies (stages) included. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackTemplate, Template } from './cloudformation';

interface ArtifactManifest {
  readonly type: string;
  readonly displayName?: string;
  readonly properties?: { readonly templateFile?: string; readonly stackName?: string; readonly directoryName?: string };
  readonly metadata?: Record<string, readonly { type: string; data?: unknown }[]>;
  readonly additionalMetadataFile?: string;
}

/** Stack name → template and the construct path of each logical ID (what `cdk diff` shows instead of bare IDs). */
export function readAssembly(dir: string): Map<string, StackTemplate> {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) throw new Error(`${dir} is not a cloud assembly (no manifest.json): did the synth run?`);
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as { artifacts?: Record<string, ArtifactManifest> };
  const stacks = new Map<string, StackTemplate>();
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      for (const [name, stack] of readAssembly(join(dir, artifact.properties.directoryName))) stacks.set(name, stack);
    }
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const template = JSON.parse(readFileSync(join(dir, artifact.properties.templateFile), 'utf8')) as Template;
    const metadata = artifact.additionalMetadataFile
      ? (JSON.parse(readFileSync(join(dir, artifact.additionalMetadataFile), 'utf8')) as ArtifactManifest['metadata'])
      : artifact.metadata;
    const logicalToPath: Record<string, string> = {};
    for (const [path, entries] of Object.entries(metadata ?? {})) {
      for (const entry of entries) if (entry.type === 'aws:cdk:logicalId' && typeof entry.data === 'string') logicalToPath[entry.data] = path;
    }
    stacks.set(artifact.properties.stackName ?? artifact.displayName ?? id, { template, logicalToPath });
  }
  return stacks;
}
