/**
 * `npm run deploy -- --env <name> --image <ref> [--outputs cdk-outputs.json] [--kubeconfig <path>] [--dry-run|--diff]`,
 * or `--abort-canary`. See deploy/README.md for the flags, the flow and the exit codes. The configuration, the flags
 * and the process environment are read here, once; the dependencies are resolved into the deploy context here, once.
 */
import { renderTarget } from '../../charts/app';
import { ConfigError, validatePlatformConfig } from '../../config';
import { configurationFromArgs } from '../../config/configurations';
import { HelpRequested, parseDeployArgs } from '../args';
import { abortCanary } from '../canary/abort-canary';
import { deployContext } from '../context';
import { DeployError, EXIT } from '../errors';
import { podFailureCheck } from '../phases/pod-failure-check';
import { resultLine } from '../phases/report';
import { deploy } from '../run';

async function main(): Promise<number> {
  try {
    // --config <name>: another configuration of config/configurations.ts (e.g. multi-account); the default without it.
    const selected = configurationFromArgs(process.argv.slice(2));
    const options = parseDeployArgs(selected.rest, process.env);
    const config = validatePlatformConfig(selected.config);
    const context = deployContext(options, {
      config,
      render: renderTarget,
      log: (line) => process.stdout.write(`${line}\n`),
      env: process.env,
      workdir: process.cwd(),
      // A new pod that crash-loops, cannot pull its image or create its container, or misses its startup budget
      // fails the release at once (not after progressDeadlineSeconds).
      rolloutChecks: [podFailureCheck()],
    });
    const result = await (options.mode === 'abort-canary' ? abortCanary : deploy)(context, options);
    process.stdout.write(`${resultLine(result)}\n`);
    return result.exitCode;
  } catch (e) {
    if (e instanceof HelpRequested) {
      process.stdout.write(`${e.message}\n`);
      return EXIT.ok;
    }
    if (e instanceof DeployError) {
      process.stderr.write(`deploy: ${e.message}\n`);
      process.stdout.write(`${resultLine({ outcome: 'refused', exitCode: e.exitCode })}\n`);
      return e.exitCode;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`deploy: ${e.message}\n`);
      return EXIT.invalidInput;
    }
    process.stderr.write(`deploy: unexpected error (the release may be partly applied): ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.applyFailed;
  }
}

// A signal mid-deploy: exit so that `finally` blocks (temporary kubeconfig) are not skipped silently.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`deploy: interrupted by ${signal}\n`);
    process.exitCode = 130;
    // Let pending finally blocks run on the next tick, then leave.
    setImmediate(() => process.exit(130));
  });
}

main().then((code) => {
  process.exitCode = code;
});
