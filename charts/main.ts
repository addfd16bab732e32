/**
 * Entry point for the cdk8s CLI (`cdk8s synth`, see cdk8s.yaml): writes the same manifests as `npm run synth`.
 * The CLI passes its output folder in CDK8S_OUTDIR.
 */
import { platformConfig, validatePlatformConfig } from '../config';
import { synthManifests } from './app';

const outdir = process.env.CDK8S_OUTDIR ?? 'manifests';
const { files } = synthManifests(validatePlatformConfig(platformConfig), { outdir });
process.stderr.write(`charts: ${files.length} manifest files -> ${outdir}/\n`);
