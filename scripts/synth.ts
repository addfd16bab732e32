/**
 * The main job: every environment's CloudFormation (with cdk-nag) into cdk.out/ and every target's manifests
 * into manifests/, in one node process. Reads the configuration once and passes it down.
 */
import { platformConfig, validatePlatformConfig } from '../config';
import { synthInfra } from '../infra/app';
import { synthManifests } from '../charts/app';

function main(): void {
  const config = validatePlatformConfig(platformConfig);
  const started = Date.now();
  const infra = synthInfra(config, { outdir: 'cdk.out' });
  const manifests = synthManifests(config, { outdir: 'manifests' });
  process.stderr.write(`synth: ${infra.stacks.length} stacks -> cdk.out/, ${manifests.files.length} manifest files -> manifests/ in ${Date.now() - started} ms\n`);
  if (infra.unacknowledgedFindings > 0) {
    process.stderr.write(`synth: ${infra.unacknowledgedFindings} unacknowledged cdk-nag finding(s); see cdk.out/validation-report.json\n`);
    process.exitCode = 1;
  }
}

main();
