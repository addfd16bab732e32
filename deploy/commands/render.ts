/**
 * `npm run render -- [--config <name>] --env <name> --image <name>=<ref>… [--outputs cdk-outputs.json] --out <dir>`:
 * apply-ready manifests, one file per workload plus the namespace's
 * (see deploy/export/manifest-files.ts and docs/kubectl-gitops-helm.md).
 */
import { parseArgs } from 'node:util';
import { renderTarget } from '../../charts/app';
import { ConfigError, validatePlatformConfig } from '../../config';
import { configurationFromArgs } from '../../config/configurations';
import { DeployError, EXIT, inputError } from '../errors';
import { renderRelease } from '../export/manifest-files';

export const RENDER_USAGE = `Usage: npm run render -- [--config <name>] --env <name> --image <name>=<ref> [--image <name>=<ref>…] [--outputs cdk-outputs.json] --out <dir>

  --config <name>          configuration (config/configurations.ts; default: the shipped one)
  --env <name>             environment (aws) or portable target of the configuration
  --image <name>=<ref>     the reference of each image the target's workloads run (images in the configuration),
                           registry/repo:tag or registry/repo@sha256:<digest> (not :latest); repeat per image.
                           A bare --image <ref> is accepted when the target runs exactly one image.
  --outputs <file>         cdk deploy --outputs-file JSON (required for aws environments)
  --out <dir>              folder to write (not manifests/, which holds the review copies)

Writes namespace.k8s.yaml and one <workload>.k8s.yaml per workload. Then: kubectl apply --server-side -f <dir>/namespace.k8s.yaml
and kubectl apply --server-side -f <dir>. Exit codes: 0 written | 2 invalid input, nothing written`;

function main(): number {
  try {
    let parsed;
    let selected;
    try {
      selected = configurationFromArgs(process.argv.slice(2));
      parsed = parseArgs({
        args: selected.rest,
        strict: true,
        options: {
          env: { type: 'string' },
          image: { type: 'string', multiple: true },
          outputs: { type: 'string' },
          out: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw inputError(`${(e as Error).message}\n\n${RENDER_USAGE}`);
    }
    const v = parsed.values;
    if (v.help) {
      process.stdout.write(`${RENDER_USAGE}\n`);
      return EXIT.ok;
    }
    const missing = (['env', 'image', 'out'] as const).filter((k) => !v[k]);
    if (missing.length) throw inputError(`${missing.map((k) => `--${k}`).join(', ')} required\n\n${RENDER_USAGE}`);
    const config = validatePlatformConfig(selected.config);
    const result = renderRelease({ env: v.env!, images: v.image!, outputsFile: v.outputs, outDir: v.out! }, { config, render: renderTarget, repoRoot: process.cwd() });
    process.stdout.write(`render: ${result.objects.length} objects -> ${result.files.join(', ')}\n`);
    for (const note of result.notes) process.stdout.write(`render: needs ${note}\n`);
    process.stdout.write(`render: apply with: kubectl apply --server-side -f ${result.files[0]} && kubectl apply --server-side -f ${v.out}\n`);
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
