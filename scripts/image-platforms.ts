/**
 * Prints the platforms the web image is built for (`docker buildx build --platform`), derived from every
 * environment's node instance types (config/architecture.ts), so the image and the nodes never disagree.
 * In GitHub Actions it also writes `platforms=<list>` to $GITHUB_OUTPUT (build-scan.yml passes it to buildx).
 *
 *   npm run -s image:platforms [-- --config <name>]     # prints e.g. linux/arm64
 */
import { appendFileSync } from 'node:fs';
import { imagePlatforms, nodeArchitecture, validatePlatformConfig } from '../config';
import { configurationFromArgs } from '../config/configurations';

function main(): void {
  const config = validatePlatformConfig(configurationFromArgs(process.argv.slice(2)).config);
  const platforms = imagePlatforms(config);
  if (platforms.length !== 1) {
    // build-scan.yml exports a single-platform docker archive (scanned by Trivy, pushed by push-image.sh after
    // `docker load`); a multi-platform index needs an OCI archive and another push path.
    const byEnv = config.environments.map((env) => `${env.name}: ${nodeArchitecture(env)}`).join(', ');
    process.stderr.write(
      `image:platforms: the environments' nodes need ${platforms.join(' and ')} (${byEnv}); the image pipeline builds one platform: give every environment the same architecture\n`,
    );
    process.exitCode = 1;
    return;
  }
  const list = platforms.join(',');
  process.stdout.write(`${list}\n`);
  if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `platforms=${list}\n`);
}

main();
