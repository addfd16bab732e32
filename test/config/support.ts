import { ConfigError, validatePlatformConfig, type PlatformConfig } from '../../config';

/** The problems that validation reports for a configuration (fails the test when it passes). */
export function problemsOf(config: PlatformConfig): readonly string[] {
  try {
    validatePlatformConfig(config);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the configuration to be rejected');
}
