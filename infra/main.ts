/** Entry point of the `cdk` CLI (cdk.json: `node scripts/build.mjs && node -r ./dist/compile-cache.js dist/infra.js`). */
import { App } from 'aws-cdk-lib';
import { quotaWarnings, validatePlatformConfig } from '../config';
import { configurationByName, DEFAULT_CONFIGURATION } from '../config/configurations';
import { synthInfra } from './app';

/** `cdk deploy -c config=multi-account …` selects another configuration (config/configurations.ts); the default without it. */
function selectedConfiguration(): string {
  // An App reads the CLI's context however the CLI passes it (environment variable or overflow file).
  const value: unknown = new App({ autoSynth: false }).node.tryGetContext('config');
  return typeof value === 'string' ? value : DEFAULT_CONFIGURATION;
}

/** `-c creating=<stack>,<stack>` (set by `npm run deploy:stacks`): stacks synthesized without their protections. */
function creatingStacks(): string[] {
  const value: unknown = new App({ autoSynth: false }).node.tryGetContext('creating');
  return typeof value === 'string' ? value.split(',').filter((name) => name !== '') : [];
}

function main(): void {
  const config = validatePlatformConfig(configurationByName(selectedConfiguration()));
  for (const warning of quotaWarnings(config)) process.stderr.write(`infra: warning: ${warning}\n`);
  const outdir = process.env.CDK_OUTDIR ?? 'cdk.out';
  const result = synthInfra(config, { outdir, creating: creatingStacks() });
  if (result.unacknowledgedFindings > 0) {
    for (const f of result.findings) process.stderr.write(`[${f.plugin}] ${f.rule} at ${f.constructPath}: ${f.description}\n`);
    process.stderr.write(`infra: ${result.unacknowledgedFindings} unacknowledged finding(s); see ${outdir}/validation-report.json\n`);
    process.exitCode = 1;
  }
}

main();
