/**
 * The Deployment's progress deadline against what a good rollout step takes.
 *
 * Kubernetes: the Deployment controller reports ProgressDeadlineExceeded when no new pod was created, turned Ready or
 * turned available (Ready for minReadySeconds) for progressDeadlineSeconds
 * (https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#progress-deadline-seconds).
 * Behind the ALB, the pod readiness gate keeps a new pod un-Ready until its target is registered and healthy
 * (https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/pod_readiness_gate/); a new target
 * turns healthy after `healthy threshold` consecutive checks `interval` apart, once registration is done
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { renderTarget } from '../../charts/app';
import { ALB_REGISTRATION_BUDGET_SECONDS, AlbIngress, albReadinessGateSeconds } from '../../charts/ingress-aws';
import { WebService } from '../../charts/web-service';
import { LOCAL_MIN_READY_SECONDS, LOCAL_STARTUP_SECONDS, localConfig } from '../../config/examples/local';
import { find, IMAGE, platformConfig, realOutputs, type Obj } from './helpers';

const A = 'alb.ingress.kubernetes.io';
const awsTargets = platformConfig.environments.map((e) => e.name);

/** What a new pod needs to become available, read from the rendered objects themselves. */
function stepFromManifests(objects: readonly object[]): { startup: number; gate: number; minReady: number } {
  const deployment = find(objects, 'Deployment');
  const c = deployment.spec.template.spec.containers[0];
  const startup = c.startupProbe.periodSeconds * c.startupProbe.failureThreshold + c.readinessProbe.periodSeconds;
  const ingress = (objects as Obj[]).find((o) => o.kind === 'Ingress');
  const a = ingress?.metadata.annotations ?? {};
  const alb = ingress?.spec.ingressClassName === 'alb';
  const gate = alb ? ALB_REGISTRATION_BUDGET_SECONDS + Number(a[`${A}/healthcheck-interval-seconds`]) * Number(a[`${A}/healthy-threshold-count`]) : 0;
  return { startup, gate, minReady: deployment.spec.minReadySeconds };
}

describe('progressDeadlineSeconds per target', () => {
  test('the registration allowance is at least a minute (registration takes tens of seconds, more on a new or busy ALB)', () => {
    expect(ALB_REGISTRATION_BUDGET_SECONDS).toBeGreaterThanOrEqual(60);
  });

  test.each(awsTargets)('%s: the deadline outlasts startup + ALB registration + healthy threshold × interval + minReadySeconds', (name) => {
    const { objects } = renderTarget(platformConfig, name, { images: { app: IMAGE }, outputs: realOutputs(platformConfig, name) });
    const deployment = find(objects, 'Deployment');
    const namespace = (objects as Obj[]).find((o) => o.kind === 'Namespace');
    expect(namespace.metadata.labels['elbv2.k8s.aws/pod-readiness-gate-inject']).toBe('enabled');
    const { startup, gate, minReady } = stepFromManifests(objects);
    expect(gate).toBe(ALB_REGISTRATION_BUDGET_SECONDS + 20);
    expect(deployment.spec.progressDeadlineSeconds).toBeGreaterThanOrEqual(startup + gate + minReady);
    // Not far beyond either: 15 s margin, so a stuck rollout is still detected within minutes.
    expect(deployment.spec.progressDeadlineSeconds).toBe(startup + gate + minReady + 15);
  });

  test('the generic target (no readiness gate) keeps a shorter deadline: startup + minReadySeconds + margin', () => {
    const { objects } = renderTarget(platformConfig, 'generic', { images: { app: IMAGE } });
    const { startup, gate, minReady } = stepFromManifests(objects);
    expect(gate).toBe(0);
    const generic = find(objects, 'Deployment').spec.progressDeadlineSeconds;
    expect(generic).toBe(startup + minReady + 15);
    expect(generic).toBe(90);
    const prod = find(renderTarget(platformConfig, 'prod', { images: { app: IMAGE }, outputs: realOutputs(platformConfig, 'prod') }).objects, 'Deployment');
    expect(generic).toBeLessThan(prod.spec.progressDeadlineSeconds);
  });

  test("a workload's minReadySeconds (the local configuration: 3 s) reaches its Deployment, and the deadline follows it", () => {
    const { objects } = renderTarget(localConfig, 'generic', { images: { app: IMAGE } });
    const deployments = (objects as Obj[]).filter((o) => o.kind === 'Deployment');
    expect(deployments.map((d) => [d.metadata.name, d.spec.minReadySeconds])).toEqual([
      ['web', LOCAL_MIN_READY_SECONDS],
      ['worker', LOCAL_MIN_READY_SECONDS],
    ]);
    const { startup, minReady } = stepFromManifests(objects);
    expect(find(objects, 'Deployment').spec.progressDeadlineSeconds).toBe(startup + minReady + 15);
    expect(minReady).toBe(LOCAL_MIN_READY_SECONDS);
  });

  test("a workload's startupSeconds (the local configuration: 20 s) sets its startup probe's window, and the deadline follows it", () => {
    const { objects } = renderTarget(localConfig, 'generic', { images: { app: IMAGE } });
    const deployments = (objects as Obj[]).filter((o) => o.kind === 'Deployment');
    expect(deployments.map((d) => [d.metadata.name, d.spec.template.spec.containers[0].startupProbe])).toEqual(
      ['web', 'worker'].map((name) => [name, expect.objectContaining({ periodSeconds: 2, failureThreshold: LOCAL_STARTUP_SECONDS / 2 })]),
    );
    const { startup, minReady } = stepFromManifests(objects);
    expect(startup).toBe(LOCAL_STARTUP_SECONDS + 5); // + one readiness period
    expect(deployments.map((d) => d.spec.progressDeadlineSeconds)).toEqual([startup + minReady + 15, startup + minReady + 15]);
    const shipped = renderTarget(platformConfig, 'generic', { images: { app: IMAGE } }).objects as Obj[];
    expect(find(shipped, 'Deployment').spec.template.spec.containers[0].startupProbe).toMatchObject({ periodSeconds: 2, failureThreshold: 30 });
  });

  test('a startupSeconds that is not a whole number of probe periods is rounded up to the next period', () => {
    const chart = new Chart(Testing.app(), 'odd-startup');
    new WebService(chart, 'web', { name: 'web', namespace: 'web', image: IMAGE, minReplicas: 2, maxReplicas: 4, cpuMillis: 250, memoryMiB: 256, startupSeconds: 45 });
    const probe = find(Testing.synth(chart), 'Deployment').spec.template.spec.containers[0].startupProbe;
    expect(probe).toMatchObject({ periodSeconds: 2, failureThreshold: 23 });
  });

  test('fails when the chart is given a startupSeconds out of range, naming the value', () => {
    const chart = new Chart(Testing.app(), 'bad-startup');
    expect(
      () => new WebService(chart, 'web', { name: 'web', namespace: 'web', image: IMAGE, minReplicas: 2, maxReplicas: 4, cpuMillis: 250, memoryMiB: 256, startupSeconds: 5 }),
    ).toThrow(/startupSeconds is 5; .*10.*600/);
  });

  test('the committed manifests carry the sized deadlines', () => {
    for (const name of [...awsTargets, 'generic']) {
      const text = readFileSync(join(__dirname, '..', '..', 'manifests', name, 'web.k8s.yaml'), 'utf8');
      const expected = name === 'generic' ? 90 : 90 + albReadinessGateSeconds();
      expect(`${name}: ${/progressDeadlineSeconds: (\d+)/.exec(text)?.[1]}`).toBe(`${name}: ${expected}`);
    }
  });

  test('fails when an explicit deadline is shorter than a new pod may take, naming the parts', () => {
    const chart = new Chart(Testing.app(), 'test');
    expect(
      () =>
        new WebService(chart, 'Web', {
          name: 'web',
          namespace: 'web',
          image: IMAGE,
          minReplicas: 2,
          maxReplicas: 4,
          cpuMillis: 100,
          memoryMiB: 128,
          readinessGateSeconds: 140,
          progressDeadlineSeconds: 120,
        }),
    ).toThrow(/progressDeadlineSeconds is 120; it must be an integer from 215 to 3600: .*startup 65 s \+ readiness gate 140 s \+ minReadySeconds 10 s/);
  });

  test('fails at synth when a web service behind the ALB does not count the readiness gate', () => {
    const chart = new Chart(Testing.app(), 'test');
    const workload = new WebService(chart, 'Web', { name: 'web', namespace: 'web', image: IMAGE, minReplicas: 2, maxReplicas: 4, cpuMillis: 100, memoryMiB: 128 });
    const outputs = realOutputs(platformConfig, 'dev');
    new AlbIngress(chart, 'Ingress', {
      workload,
      namespace: 'web',
      hostname: 'dev.eu-west-1.example.com',
      region: outputs.region,
      certificateArn: outputs.certificateArn,
      userPoolArn: outputs.userPoolArn,
      userPoolId: outputs.userPoolId,
      userPoolRegion: outputs.userPoolRegion,
      userPoolDomain: outputs.userPoolDomain,
      userPoolClientId: outputs.userPoolClientId,
    });
    expect(() => chart.toJson()).toThrow(/web service web counts 0 s for its readiness gate.*readinessGateSeconds: albReadinessGateSeconds\(\) \(140\)/);
  });
});
