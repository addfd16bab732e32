import { Chart, Testing } from 'cdk8s';
import { WebService, type WebServiceProps } from '../../charts/web-service';
import { renderTarget } from '../../charts/app';
import type { ServiceWorkload } from '../../config';
import { container, find, IMAGE, DIGEST_IMAGE, platformConfig, podSpec } from './helpers';

function synth(props: Partial<WebServiceProps> = {}): object[] {
  const chart = new Chart(Testing.app(), 'test');
  new WebService(chart, 'Web', { name: 'web', namespace: 'web', image: IMAGE, minReplicas: 2, maxReplicas: 4, cpuMillis: 100, memoryMiB: 128, ...props });
  return chart.toJson();
}

describe.each(['dev', 'staging', 'prod', 'generic'])('the %s Deployment', (target) => {
  const { objects } = renderTarget(platformConfig, target, { images: { app: IMAGE } });
  const deployment = find(objects, 'Deployment');

  test('rolls out with a surge and never below the desired count', () => {
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } });
    expect(deployment.spec.minReadySeconds).toBe(10);
    // Sized per target (test/charts/progress-deadline.test.ts): longer behind the ALB's readiness gate.
    expect(deployment.spec.progressDeadlineSeconds).toBe(target === 'generic' ? 90 : 230);
    expect(deployment.spec.revisionHistoryLimit).toBeGreaterThan(0);
  });

  test('leaves spec.replicas to the HorizontalPodAutoscaler, whose minimum is the configured one', () => {
    expect(deployment.spec.replicas).toBeUndefined();
    const hpa = find(objects, 'HorizontalPodAutoscaler');
    const workload = [...platformConfig.environments, ...platformConfig.portableTargets].find((t) => t.name === target)!.workloads.find((w) => w.name === 'web') as ServiceWorkload;
    expect(hpa.spec).toMatchObject({ minReplicas: workload.minReplicas, maxReplicas: workload.maxReplicas, scaleTargetRef: { kind: 'Deployment', name: 'web' } });
    expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
  });

  test('probes startup and liveness on /healthz and readiness on /readyz', () => {
    const c = container(objects);
    expect(c.startupProbe.httpGet).toMatchObject({ path: '/healthz', port: 8080 });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 8080 });
    expect(c.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 8080 });
    expect(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds).toBeGreaterThanOrEqual(30);
    expect(c.ports).toEqual([
      { containerPort: 8080, name: 'http', protocol: 'TCP' },
      { containerPort: 9090, name: 'metrics', protocol: 'TCP' },
    ]);
  });

  test('terminates gracefully: preStop sleep (no shell needed), then the app drains within the grace period', () => {
    const spec = podSpec(objects);
    const c = container(objects);
    expect(c.lifecycle).toEqual({ preStop: { sleep: { seconds: 25 } } });
    const config = find(objects, 'ConfigMap').data;
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(25 + Number(config.SHUTDOWN_TIMEOUT_SECONDS));
  });

  test('runs with the restricted security context at pod and container level', () => {
    const spec = podSpec(objects);
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container(objects).securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.serviceAccountName).toBe('web');
    // The only writable volume is /tmp; anything else (the generic target's database credentials) is a read-only Secret.
    expect(spec.volumes[0]).toEqual({ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } });
    for (const volume of spec.volumes.slice(1)) expect(volume).toMatchObject({ secret: { optional: false } });
    const mounts = container(objects).volumeMounts as { name: string; mountPath: string; readOnly?: boolean }[];
    expect(mounts[0]).toEqual({ name: 'tmp', mountPath: '/tmp' });
    for (const mount of mounts.slice(1)) expect(mount.readOnly).toBe(true);
    expect(mounts).toHaveLength(spec.volumes.length);
  });

  test('requests resources, with memory limit = request, and bounded ephemeral storage', () => {
    const { resources } = container(objects);
    expect(resources.requests.memory).toBe(resources.limits.memory);
    expect(resources.requests['ephemeral-storage']).toBe('128Mi'); // /tmp (64 Mi) + 64 Mi for logs
    expect(resources.limits['ephemeral-storage']).toBe('256Mi');
    expect(resources.requests.cpu).toMatch(/^\d+m$/);
    expect(resources.limits.cpu).toMatch(/^\d+m$/);
  });

  test('spreads over zones and nodes without blocking a surge', () => {
    const constraints = podSpec(objects).topologySpreadConstraints;
    expect(constraints.map((c: { topologyKey: string }) => c.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    for (const c of constraints) expect(c).toMatchObject({ maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway', matchLabelKeys: ['pod-template-hash'] });
  });

  test('selects its pods by app.kubernetes.io/name, and so do the Service and the PDB', () => {
    expect(deployment.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'web' } });
    expect(deployment.spec.template.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/part-of': 'platform' });
    const service = find(objects, 'Service');
    expect(service.spec).toEqual({ type: 'ClusterIP', selector: { 'app.kubernetes.io/name': 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] });
    const pdb = find(objects, 'PodDisruptionBudget');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
  });
});

describe('WebService', () => {
  test('accepts an image pinned by digest', () => {
    expect(find(synth({ image: DIGEST_IMAGE }), 'Deployment').spec.template.spec.containers[0].image).toBe(DIGEST_IMAGE);
  });

  test('keeps its settings in an immutable ConfigMap named after their content, which the pod template reads', () => {
    const objects = synth({ settings: { APP_ENV: 'a' } });
    const configMap = find(objects, 'ConfigMap');
    expect(configMap.metadata.name).toMatch(/^web-config-[0-9a-f]{10}$/);
    expect(configMap.immutable).toBe(true);
    expect(configMap.metadata.labels).toMatchObject({ 'platform.local/config-of': 'web' });
    expect(container(objects).envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
    // No other copy of the name or content in the pod template: the name is the only link.
    expect(find(objects, 'Deployment').spec.template.metadata.annotations).toEqual({ 'kubectl.kubernetes.io/default-container': 'web' });
  });

  test('new settings are a new ConfigMap name, so a new pod template (the pods roll, the previous ReplicaSet keeps its own); the same settings the same name', () => {
    const name = (settings: Record<string, string>) => find(synth({ settings }), 'ConfigMap').metadata.name;
    const template = (settings: Record<string, string>) => JSON.stringify(find(synth({ settings }), 'Deployment').spec.template);
    expect(name({ APP_ENV: 'a' })).not.toBe(name({ APP_ENV: 'b' }));
    expect(template({ APP_ENV: 'a' })).not.toBe(template({ APP_ENV: 'b' }));
    expect(name({ APP_ENV: 'a', LOG_LEVEL: 'info' })).toBe(name({ LOG_LEVEL: 'info', APP_ENV: 'a' }));
    expect(template({ APP_ENV: 'a' })).toBe(template({ APP_ENV: 'a' }));
  });

  test('reads secret settings from Secrets, never from the ConfigMap', () => {
    const objects = synth({ secretEnv: { DATABASE_PASSWORD: { secretName: 'web-database', key: 'password' } } });
    expect(container(objects).env).toEqual([{ name: 'DATABASE_PASSWORD', valueFrom: { secretKeyRef: { name: 'web-database', key: 'password', optional: false } } }]);
    expect(JSON.stringify(find(objects, 'ConfigMap'))).not.toContain('DATABASE_PASSWORD');
  });

  test('sizes ephemeral storage from configuration and fails on a limit below the request or a request below /tmp', () => {
    const { resources } = container(synth({ tmpSizeMiB: 100, ephemeralStorageMiB: 300, ephemeralStorageLimitMiB: 500 }));
    expect([resources.requests['ephemeral-storage'], resources.limits['ephemeral-storage']]).toEqual(['300Mi', '500Mi']);
    expect(() => synth({ ephemeralStorageMiB: 200, ephemeralStorageLimitMiB: 100 })).toThrow(/ephemeralStorageLimitMiB.*100/);
    expect(() => synth({ tmpSizeMiB: 100, ephemeralStorageMiB: 50 })).toThrow(/ephemeralStorageMiB.*50/);
  });

  test('mounts a Secret as files and fails on a bad mount', () => {
    const objects = synth({ secretFiles: { secretName: 'db', keys: ['password'], mountPath: '/var/run/db' } });
    expect(container(objects).volumeMounts).toContainEqual({ name: 'secret-files', mountPath: '/var/run/db', readOnly: true });
    expect(container(objects).env).toBeUndefined();
    expect(() => synth({ secretFiles: { secretName: 'db', keys: ['password'], mountPath: 'relative' } })).toThrow(
      'secretFiles.mountPath is "relative"; it must be an absolute path other than /tmp',
    );
    expect(() => synth({ secretFiles: { secretName: 'db', keys: [], mountPath: '/var/run/db' } })).toThrow('secretFiles.keys is []; give at least one Secret key');
  });

  test('fails when production has fewer than 2 replicas', () => {
    expect(() => synth({ production: true, minReplicas: 1 })).toThrow('minReplicas is 1 in production; production needs at least 2 replicas');
  });

  test('fails when maxReplicas is below minReplicas', () => {
    expect(() => synth({ minReplicas: 3, maxReplicas: 2 })).toThrow('maxReplicas is 2; it must be at least minReplicas (3)');
  });

  test('fails when the image reference uses latest', () => {
    expect(() => synth({ image: 'registry.example.com/web:latest' })).toThrow('mutable tag "latest"');
  });

  test('fails when a setting is not an environment variable name', () => {
    expect(() => synth({ settings: { 'app-env': 'x' } })).toThrow('settings key "app-env"');
  });

  test('fails when the progress deadline would not leave room for minReadySeconds', () => {
    expect(() => synth({ progressDeadlineSeconds: 20 })).toThrow('progressDeadlineSeconds is 20');
  });
});
