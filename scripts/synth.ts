/**
 * The main job: every environment's CloudFormation (with cdk-nag) into cdk.out/ and every target's manifests
 * into manifests/, in one node process. Reads the configuration once and passes it down.
 */
import { quotaWarnings, validatePlatformConfig } from '../config';
import { BENCHMARK_CONFIGURATIONS, CONFIGURATIONS, configurationFromArgs, DEFAULT_CONFIGURATION } from '../config/configurations';
import { synthInfra } from '../infra/app';
import { synthManifests } from '../charts/app';

/**
 * `npm run synth` synthesizes the default configuration into cdk.out/ and manifests/ (committed).
 * `npm run synth -- --config multi-account` synthesizes another configuration (config/configurations.ts) into
 * cdk.out.<name>/ and manifests.<name>/ (not committed), offline as well.
 */
function main(): void {
  // The benchmark configurations synthesize here (npm run bench:synth), never in a deploy.
  const selected = configurationFromArgs(process.argv.slice(2), { ...CONFIGURATIONS, ...BENCHMARK_CONFIGURATIONS });
  const config = validatePlatformConfig(selected.config);
  // Quotas a configuration reaches are not errors: printed first, synth goes on.
  for (const warning of quotaWarnings(config)) process.stderr.write(`synth: warning: ${warning}\n`);
  const suffix = selected.name === DEFAULT_CONFIGURATION ? '' : `.${selected.name}`;
  const [outdir, manifestsDir] = [`cdk.out${suffix}`, `manifests${suffix}`];
  const started = Date.now();
  const infra = synthInfra(config, { outdir });
  const manifests = synthManifests(config, { outdir: manifestsDir });
  process.stderr.write(
    `synth (${selected.name}): ${infra.stacks.length} stacks -> ${outdir}/, ${manifests.files.length} manifest files -> ${manifestsDir}/ in ${Date.now() - started} ms\n`,
  );
  if (infra.unacknowledgedFindings > 0) {
    process.stderr.write(`synth: ${infra.unacknowledgedFindings} unacknowledged cdk-nag finding(s); see ${outdir}/validation-report.json\n`);
    process.exitCode = 1;
  }
}

main();
