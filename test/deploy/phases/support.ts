/** Shared inputs of the phase tests: a prepared generic release, its plan, and the context a phase takes. */
import { tmpdir } from 'node:os';
import { ok, type Cluster } from '../../../deploy/adapters/cluster';
import { deployContext, type ClusterContext, type DeployDeps } from '../../../deploy/context';
import type { KubeObject } from '../../../deploy/manifests';
import { planRelease, type DeploymentPlan, type ReleasePlan } from '../../../deploy/phases/plan';
import { prepare, type PreparedRelease } from '../../../deploy/phases/prepare';
import { FakeClock } from '../fake-cluster';
import { config, fakeRender, options } from '../fixtures';

export const IMAGE = 'registry.local/web:1.0.1';

/** A release of web alone (`--workload web`), or of `workloads`. */
export function prepared(image = IMAGE, workloads: readonly string[] = ['web']): PreparedRelease {
  return prepare(options({ image, workloads }), { config, render: fakeRender });
}

/** The plan of a release of web alone; `extra` objects join web's set. */
export function plan(overrides: Partial<ReleasePlan> = {}, extra: KubeObject[] = []): ReleasePlan {
  const p = prepared();
  const base = planRelease(p, { namespaceObject: p.release.namespaceObject, exists: true }, []);
  return { ...base, workloads: base.workloads.map((w) => ({ ...w, objects: [...w.objects, ...extra] })), ...overrides };
}

/** web's plan (a service's Deployment) in a release of web alone. */
export function webPlan(overrides: Partial<DeploymentPlan> = {}): DeploymentPlan {
  return { ...(plan().workloads[0] as DeploymentPlan), ...overrides };
}

export const liveNamespace = (labels: Record<string, string>) => ok<KubeObject>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web', labels } });

export function collect(): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}

export async function refusal(promise: Promise<unknown>): Promise<{ message: string; exitCode: number }> {
  try {
    await promise;
  } catch (e) {
    return { message: (e as Error).message, exitCode: (e as { exitCode: number }).exitCode };
  }
  throw new Error('expected a refusal');
}

/** The context a phase gets in a deploy (`deployContext`: the production defaults, a fake clock), over `cluster`; its log lines in `lines`. */
export function phaseContext(cluster: Cluster, deps: Partial<DeployDeps> = {}): ClusterContext & { readonly lines: string[] } {
  const lines: string[] = [];
  const context = deployContext({}, { config, render: fakeRender, log: (line) => lines.push(line), env: {}, workdir: tmpdir(), clock: new FakeClock(), ...deps });
  return { ...context, cluster, lines };
}
