/**
 * A workload's migration as the charts render it: a Job running the workload's own pod (image, ServiceAccount,
 * configuration, secrets, restricted security context) with the migration's command, marked for the deploy
 * command's migration phase, named per release, with pods no Service, PodDisruptionBudget or workload policy selects.
 */
import { renderTarget } from '../../charts/app';
import type { WorkerWorkload } from '../../config';
import { find, IMAGE, platformConfig, withWorkload, type Obj } from './helpers';

const jobsOf = (objects: readonly object[]): Obj[] => (objects as Obj[]).filter((o) => o.kind === 'Job');
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe.each(['dev', 'prod', 'generic'])("web's migration on %s", (target) => {
  const { objects, files } = renderTarget(platformConfig, target, { images: { app: IMAGE } });
  const [job] = jobsOf(objects);
  const deployment = find(objects, 'Deployment');
  const pod = job.spec.template.spec;
  const web = deployment.spec.template.spec;

  test("is one Job in web's file, named per release, marked for the migration phase, one attempt, its timeout, kept a day", () => {
    expect(jobsOf(objects)).toHaveLength(1);
    expect(files.find((f) => f.workload === 'web')!.objects).toContain(job);
    expect(job.metadata.name).toMatch(/^web-migrate-[0-9a-f]{10}$/);
    expect(job.metadata.annotations).toEqual({ 'platform.local/phase': 'migration' });
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 300, ttlSecondsAfterFinished: 86400 });
    expect(pod.restartPolicy).toBe('Never');
  });

  test("runs web's own pod with the migration's command: image, ServiceAccount, configuration, secrets, volumes, resources", () => {
    const [c] = pod.containers;
    const [w] = web.containers;
    expect(c.image).toBe(IMAGE);
    expect(c.args).toEqual(['/app/server.js', 'migrate']);
    expect(c.command).toEqual(w.command);
    expect(c.envFrom).toEqual(w.envFrom);
    expect(c.envFrom).toEqual([{ configMapRef: { name: find(objects, 'ConfigMap').metadata.name } }]);
    expect(c.env).toEqual(w.env);
    expect(c.volumeMounts).toEqual(w.volumeMounts);
    expect(pod.volumes).toEqual(web.volumes);
    expect(c.resources).toEqual(w.resources);
    expect(pod.serviceAccountName).toBe('web');
    expect(pod.automountServiceAccountToken).toBe(false);
    // No ports, no probes: it serves nothing.
    expect([c.ports, c.readinessProbe, c.livenessProbe, c.startupProbe, c.lifecycle]).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  test('meets Pod Security restricted like web itself', () => {
    expect(pod.securityContext).toEqual(web.securityContext);
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(pod.containers[0].securityContext).toEqual(web.containers[0].securityContext);
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
  });

  test("its pods are selected by its own NetworkPolicy only (database and web's destinations, no ingress), never by web's Service, PDB or policy", () => {
    const labels = job.spec.template.metadata.labels;
    expect(matches(find(objects, 'Service').spec.selector, labels)).toBe(false);
    expect(matches(find(objects, 'PodDisruptionBudget').spec.selector.matchLabels, labels)).toBe(false);
    expect(matches(find(objects, 'NetworkPolicy').spec.podSelector.matchLabels, labels)).toBe(false);
    const policy = find(objects, 'NetworkPolicy', 'web-migration');
    expect(policy.metadata.annotations).toEqual({ 'platform.local/phase': 'migration' });
    expect(matches(policy.spec.podSelector.matchLabels, labels)).toBe(true);
    expect(policy.spec.ingress).toEqual([]);
    const webEgress = find(objects, 'NetworkPolicy').spec.egress;
    // Everything web's pods may reach outside the cluster (DNS, the database, AWS APIs…), and nothing web's policy does not allow.
    for (const rule of policy.spec.egress) expect(webEgress).toContainEqual(rule);
    expect(JSON.stringify(policy.spec.egress)).toContain('5432');
  });
});

describe('the migration Job name', () => {
  const jobName = (config = platformConfig, image = IMAGE) => jobsOf(renderTarget(config, 'generic', { images: { app: image } }).objects)[0].metadata.name as string;

  test('is the same for the same release, and new for a new image, a new configuration or a new command (Jobs are immutable)', () => {
    expect(jobName()).toBe(jobName());
    expect(jobName(platformConfig, `${IMAGE}b`)).not.toBe(jobName());
    const withEnv = withWorkload(platformConfig, 'web', (w) => ({ ...w, env: { FEATURE_X: 'on' } }));
    expect(jobName(withEnv)).not.toBe(jobName());
    const otherCommand = withWorkload(platformConfig, 'web', (w) => ({ ...w, migration: { command: ['/app/server.js', 'migrate', '--dry'] } }) as typeof w);
    expect(jobName(otherCommand)).not.toBe(jobName());
  });

  test('a worker declaring a migration gets one with its timeout; a workload without one gets none', () => {
    const config = withWorkload(platformConfig, 'worker', (w) => ({ ...(w as WorkerWorkload), migration: { command: ['/app/server.js', 'migrate'], timeoutSeconds: 120 } }));
    const jobs = jobsOf(renderTarget(config, 'generic', { images: { app: IMAGE } }).objects);
    expect(jobs.map((j) => [j.metadata.name.replace(/[0-9a-f]{10}$/, '<hash>'), j.spec.activeDeadlineSeconds])).toEqual([
      ['web-migrate-<hash>', 300],
      ['worker-migrate-<hash>', 120],
    ]);
    const without = withWorkload(platformConfig, 'web', (w) => ({ ...w, migration: undefined }) as typeof w);
    expect(jobsOf(renderTarget(without, 'generic', { images: { app: IMAGE } }).objects)).toEqual([]);
  });
});
