/**
 * `npm run render -- --env <name> --image <ref> [--outputs cdk-outputs.json] --out <dir>`: apply-ready manifests
 * (see deploy/render.ts and docs/kubectl-gitops-helm.md).
 */
import { parseArgs } from 'node:util';
import { renderTarget } from '../charts/app';
import { ConfigError, platformConfig, validatePlatformConfig } from '../config';
import { DeployError, EXIT, inputError } from './errors';
import { renderRelease } from './render';

export const RENDER_USAGE = `Usage: npm run render -- --env <name> --image <ref> [--outputs cdk-outputs.json] --out <dir>

  --env <name>       environment (aws) or portable target from config/platform.ts
  --image <ref>      registry/repo:tag or registry/repo@sha256:<digest> (not :latest)
  --outputs <file>   cdk deploy --outputs-file JSON (required for aws environments)
  --out <dir>        folder to write (not manifests/, which holds the review copies)

Then: kubectl apply --server-side -f <dir>. Exit codes: 0 written | 2 invalid input, nothing written`;

function main(): number {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: process.argv.slice(2),
        strict: true,
        options: { env: { type: 'string' }, image: { type: 'string' }, outputs: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      });
    } catch (e) {
      throw inputError(`${(e as Error).message}\n\n${RENDER_USAGE}`);
    }
    const v = parsed.values;
    if (v.help) {
      process.stdout.write(`${RENDER_USAGE}\n`);
      return EXIT.ok;
    }
    const missing = (['env', 'image', 'out'] as const).filter((k) => !v[k]);
    if (missing.length) throw inputError(`${missing.map((k) => `--${k}`).join(', ')} required\n\n${RENDER_USAGE}`);
    const config = validatePlatformConfig(platformConfig);
    const result = renderRelease({ env: v.env!, image: v.image!, outputsFile: v.outputs, outDir: v.out! }, { config, render: renderTarget, repoRoot: process.cwd() });
    process.stdout.write(`render: ${result.objects.length} objects -> ${result.file}\n`);
    for (const note of result.notes) process.stdout.write(`render: needs ${note}\n`);
    process.stdout.write(`render: apply with: kubectl apply --server-side -f ${v.out}\n`);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof DeployError || e instanceof ConfigError) {
      process.stderr.write(`render: ${e.message}\n`);
      return EXIT.invalidInput;
    }
    throw e;
  }
}

process.exitCode = main();
