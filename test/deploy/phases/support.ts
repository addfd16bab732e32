/** Shared inputs of the phase tests: a prepared generic release, its plan, and the context a phase takes. */
import { tmpdir } from 'node:os';
import { ok, type Cluster } from '../../../deploy/adapters/cluster';
import { deployContext, type ClusterContext, type DeployDeps } from '../../../deploy/context';
import type { KubeObject } from '../../../deploy/manifests';
import { planRelease, type ReleasePlan } from '../../../deploy/phases/plan';
import { prepare, type PreparedRelease } from '../../../deploy/phases/prepare';
import { FakeClock } from '../fake-cluster';
import { config, fakeRender, options } from '../fixtures';

export const IMAGE = 'registry.local/web:1.0.1';

export function prepared(image = IMAGE): PreparedRelease {
  return prepare(options({ image }), { config, render: fakeRender });
}

export function plan(overrides: Partial<ReleasePlan> = {}, extra: KubeObject[] = []): ReleasePlan {
  const p = prepared();
  const base = planRelease(p, { namespaceObject: p.release.namespaceObject, exists: true }, []);
  return { ...base, objects: [...base.objects, ...extra], ...overrides };
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
