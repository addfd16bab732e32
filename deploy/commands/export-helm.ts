/**
 * `npm run export:helm -- [--config <name>] [--target generic] [--out dist/helm/<name>]`: the portable target as a Helm chart named
 * and versioned like package.json (see deploy/export/helm-chart.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderTarget } from '../../charts/app';
import { ConfigError, validatePlatformConfig } from '../../config';
import { configurationFromArgs } from '../../config/configurations';
import { DeployError, EXIT } from '../errors';
import { exportHelmChart } from '../export/helm-chart';

function main(): number {
  try {
    const selected = configurationFromArgs(process.argv.slice(2));
    const { values: v } = parseArgs({ args: selected.rest, strict: true, options: { target: { type: 'string' }, out: { type: 'string' } } });
    const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { name: string; version: string };
    const outDir = v.out ?? join('dist', 'helm', pkg.name);
    const chart = exportHelmChart(
      { target: v.target ?? 'generic', name: pkg.name, version: pkg.version, outDir },
      { config: validatePlatformConfig(selected.config), render: renderTarget },
    );
    const sets = Object.keys(chart.values.workloads).map((w) => `--set workloads.${w}.image=<registry>/<repository>:<tag>`);
    process.stdout.write(`export:helm: chart ${pkg.name} ${pkg.version} (${chart.files.length} files) -> ${outDir}\n`);
    process.stdout.write(`export:helm: install with: helm install ${pkg.name} ${outDir} ${sets.join(' ')}\n`);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof DeployError || e instanceof ConfigError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`export:helm: ${(e as Error).message}\n`);
      return EXIT.invalidInput;
    }
    throw e;
  }
}

process.exitCode = main();
