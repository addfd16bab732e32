import { platformConfig } from '../platform';
import type { PlatformConfig } from '../types';
import type { Workload } from '../workloads';

/**
 * Seconds a new pod of the local cluster stays Ready before the rollout replaces the next one (the default is 10 s,
 * DEFAULT_MIN_READY_SECONDS). On one machine a pod that turns Ready has reached every endpoint within the local
 * control plane's 1 s endpoint batching (cluster/kwokctl.yaml), so 3 s keeps the rollout's order (Ready, in the
 * Service, then the next old pod goes) at a third of the wait.
 */
export const LOCAL_MIN_READY_SECONDS = 3;

/**
 * Seconds a container of the local cluster may take to start (the default is 60 s, DEFAULT_STARTUP_SECONDS). The
 * sample's containers start in about a second on the local node; 20 s still leaves them a wide margin under load,
 * and a release whose pods never turn Ready fails in 25 s instead of 65 s.
 */
export const LOCAL_STARTUP_SECONDS = 20;

/**
 * The default platform for a local cluster (`npm run local:up`, the e2e suites): the portable targets' services and
 * workers roll out at LOCAL_MIN_READY_SECONDS per pod and get LOCAL_STARTUP_SECONDS to start. Nothing else differs,
 * so the cloud side is the default's.
 * `npm run deploy -- --config local --env generic …`.
 */
export const localConfig: PlatformConfig = {
  ...platformConfig,
  portableTargets: platformConfig.portableTargets.map((target) => ({ ...target, workloads: target.workloads.map(quickRollout) })),
};

function quickRollout(workload: Workload): Workload {
  return workload.kind === 'cronJob' ? workload : { ...workload, minReadySeconds: LOCAL_MIN_READY_SECONDS, startupSeconds: LOCAL_STARTUP_SECONDS };
}
