import { localConfig } from './examples/local';
import { localCanaryConfig } from './examples/local-canary';
import { multiAccountConfig } from './examples/multi-account';
import { tenWorkloadsConfig } from './examples/ten-workloads';
import { platformConfig } from './platform';
import type { PlatformConfig } from './types';
import { ConfigError } from './validate';

/**
 * The configurations an entry point can synthesize (`--config <name>`): the default (single account,
 * account-agnostic) and the documented multi-account example. Both are synthesized by the tests and by CI.
 * `local` differs from the default only in its portable targets' rollout pacing (3 s per pod, for a local cluster),
 * `local-canary` from `local` only in the generic target's release strategy (a canary on short intervals): they
 * deploy, nothing of them is synthesized.
 */
export const CONFIGURATIONS: Readonly<Record<string, PlatformConfig>> = {
  default: platformConfig,
  'multi-account': multiAccountConfig,
  local: localConfig,
  'local-canary': localCanaryConfig,
};

export const DEFAULT_CONFIGURATION = 'default';

/**
 * Configurations for benchmarks only (`npm run bench:synth -- --scale`): synthesized to measure, never deployed, so
 * neither CI's synth nor a deploy takes them: only `npm run synth -- --config <name>` finds them.
 */
export const BENCHMARK_CONFIGURATIONS: Readonly<Record<string, PlatformConfig>> = {
  'ten-workloads': tenWorkloadsConfig,
};

/**
 * The configurations with cloud infrastructure of their own, synthesized (cdk-nag) and cfn-linted by CI. Every other
 * configuration has the infrastructure of one of these (test/config/configurations.test.ts checks it).
 */
export const SYNTHESIZED_CONFIGURATIONS: readonly string[] = [DEFAULT_CONFIGURATION, 'multi-account'];

/** The named configuration; the error lists the names that exist. */
export function configurationByName(name: string, known: Readonly<Record<string, PlatformConfig>> = CONFIGURATIONS): PlatformConfig {
  const config = Object.hasOwn(known, name) ? known[name] : undefined;
  if (!config) {
    throw new ConfigError([
      `unknown configuration ${JSON.stringify(name)}; allowed: ${Object.keys(known)
        .map((n) => `"${n}"`)
        .join(', ')}`,
    ]);
  }
  return config;
}

/**
 * `--config <name>` (or `--config=<name>`) from an entry point's arguments; the default configuration without it.
 * Read at the entry point only, never below it.
 */
export function configurationFromArgs(
  argv: readonly string[],
  known: Readonly<Record<string, PlatformConfig>> = CONFIGURATIONS,
): { readonly name: string; readonly config: PlatformConfig; readonly rest: string[] } {
  let name = DEFAULT_CONFIGURATION;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--config') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--'))
        throw new ConfigError([
          `--config needs a name; allowed: ${Object.keys(known)
            .map((n) => `"${n}"`)
            .join(', ')}`,
        ]);
      name = value;
      i++;
    } else if (argv[i].startsWith('--config=')) {
      name = argv[i].slice('--config='.length);
    } else {
      rest.push(argv[i]);
    }
  }
  return { name, config: configurationByName(name, known), rest };
}
