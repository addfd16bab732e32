/** Entry point of the `cdk` CLI (cdk.json: `node scripts/build.mjs && node -r ./dist/compile-cache.js dist/infra.js`). */
import { platformConfig, validatePlatformConfig } from '../config';
import { synthInfra } from './app';

function main(): void {
  const config = validatePlatformConfig(platformConfig);
  const outdir = process.env.CDK_OUTDIR ?? 'cdk.out';
  const result = synthInfra(config, { outdir });
  if (result.unacknowledgedFindings > 0) {
    for (const f of result.findings) process.stderr.write(`[${f.plugin}] ${f.rule} at ${f.constructPath}: ${f.description}\n`);
    process.stderr.write(`infra: ${result.unacknowledgedFindings} unacknowledged finding(s); see ${outdir}/validation-report.json\n`);
    process.exitCode = 1;
  }
}

main();
