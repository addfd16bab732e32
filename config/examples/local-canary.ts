import { DEFAULT_CANARY } from '../release';
import { localConfig } from './local';
import type { CanaryConfig, PlatformConfig } from '../types';

/**
 * The canary on the local cluster's real node (test/e2e/canary.e2e.test.ts): the local configuration (./local.ts), with the generic
 * target releasing through a canary on short intervals (5 s, the shortest allowed) so that each scenario takes
 * seconds. A third of the pods: beside the generic target's 2 stable pods, 1 canary pod is exactly that share.
 * `npm run deploy -- --config local-canary --env generic …`.
 */
export const LOCAL_CANARY: CanaryConfig = { ...DEFAULT_CANARY, sharePercent: 33, intervalSeconds: 5 };

export const localCanaryConfig: PlatformConfig = {
  ...localConfig,
  portableTargets: localConfig.portableTargets.map((t) => (t.name === 'generic' ? { ...t, release: { kind: 'canary', ...LOCAL_CANARY } } : t)),
};
