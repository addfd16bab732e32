/** The migration phase over the fake cluster: the Job of the real chart, created, waited for, and reported on failure. */
import { renderTarget } from '../../../charts/app';
import { ok } from '../../../deploy/adapters/cluster';
import { EXIT } from '../../../deploy/errors';
import type { KubeObject } from '../../../deploy/manifests';
import { MIGRATION_LOG_LINES, migrationFailureReport, runMigration } from '../../../deploy/phases/migrate';
import { splitReleasePhases } from '../../../deploy/rules/release-phases';
import { FakeCluster } from '../fake-cluster';
import { config } from '../fixtures';
import { phaseContext, refusal } from './support';

const objects = renderTarget(config, 'generic', { images: { app: 'registry.local/web:1.0.1' } }).objects as KubeObject[];
const migration = splitReleasePhases(objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: 'web' } }))).migrations[0];
const JOB = migration.job.metadata.name;

const withStatus = (job: KubeObject, conditions: object[]): KubeObject => ({ ...job, status: { conditions } });
const complete = (job: KubeObject) => withStatus(job, [{ type: 'Complete', status: 'True' }]);
const failed =
  (reason: string, message = '') =>
  (job: KubeObject) =>
    withStatus(job, [{ type: 'Failed', status: 'True', reason, message }]);
const pod = (name: string, waiting?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'web', labels: { 'job-name': JOB }, creationTimestamp: '2026-12-01T23:00:00Z' },
  status: { containerStatuses: [{ name: 'web', state: waiting ? { waiting: { reason: waiting, message: 'Back-off pulling image' } } : { running: {} } }] },
});

describe('runMigration', () => {
  test("creates the migration's NetworkPolicy, the ServiceAccount when missing, then the Job, and waits until it completes (left to its TTL)", async () => {
    const cluster = new FakeCluster();
    cluster.progress = (job, reads) => (reads >= 4 ? complete(job) : job);
    const context = phaseContext(cluster);
    const outcome = await runMigration(context, 'web', migration);
    expect(outcome).toMatchObject({ kind: 'complete', job: JOB, reused: false });
    expect(cluster.mutations()).toEqual(['apply ServiceAccount/web,NetworkPolicy/web-migration']);
    expect(cluster.calls.filter((c) => c.startsWith('create') || c.startsWith('delete'))).toEqual([`create Job/${JOB}`]);
    expect(cluster.calls.indexOf(`create Job/${JOB}`)).toBeGreaterThan(cluster.calls.indexOf('apply ServiceAccount/web,NetworkPolicy/web-migration'));
    expect(context.lines.at(-1)).toMatch(new RegExp(`^migration of web: job/${JOB} completed in \\d+(\\.\\d)?s$`));
  });

  test('a Job that already completed for this release (same name: same image, command and configuration) is not run again', async () => {
    const cluster = new FakeCluster();
    await cluster.create(migration.job);
    cluster.progress = complete;
    const outcome = await runMigration(phaseContext(cluster), 'web', migration);
    expect(outcome).toEqual({ kind: 'complete', job: JOB, ms: 0, reused: true });
    expect(cluster.calls.filter((c) => c.startsWith('create'))).toEqual([`create Job/${JOB}`]); // the test's own
  });

  test('a failed Job of the same release is replaced by a new attempt', async () => {
    const cluster = new FakeCluster();
    await cluster.create(migration.job);
    let attempt = 1;
    cluster.progress = (job, reads) => (attempt === 1 ? failed('BackoffLimitExceeded')(job) : reads > 2 ? complete(job) : job);
    const original = cluster.delete.bind(cluster);
    cluster.delete = async (...args) => {
      attempt = 2;
      return original(...args);
    };
    expect(await runMigration(phaseContext(cluster), 'web', migration)).toMatchObject({ kind: 'complete', reused: false });
    expect(cluster.calls.filter((c) => /^(create|delete)/.test(c))).toEqual([`create Job/${JOB}`, `delete job.batch ${JOB} -n web`, `create Job/${JOB}`]);
  });

  test('a failed migration: its last 20 log lines, redacted, and why; the Job is kept for inspection', async () => {
    const cluster = new FakeCluster();
    cluster.progress = (job, reads) => (reads >= 3 ? failed('BackoffLimitExceeded', 'Job has reached the specified backoff limit')(job) : job);
    cluster.lists.pods = ok([pod(`${JOB}-x7k2p`)]);
    const lines = Array.from({ length: 25 }, (_, i) => `{"level":"info","msg":"step ${i}"}`);
    lines[22] = '{"level":"error","msg":"migration failed","error":{"message":"password authentication failed","password":"hunter2-s3cret"}}';
    lines[23] = 'connecting to postgres://web:Sup3rSecret@db.internal:5432/app with token=abc.def.ghi and oidc-client-secret-value';
    cluster.podLogs[`${JOB}-x7k2p`] = ok(`${lines.join('\n')}\n`);
    const outcome = await runMigration(phaseContext(cluster), 'web', migration, ['oidc-client-secret-value']);
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'BackoffLimitExceeded: Job has reached the specified backoff limit' });
    if (outcome.kind === 'complete') throw new Error('unreachable');
    expect(outcome.logs).toHaveLength(MIGRATION_LOG_LINES);
    expect(outcome.logs[0]).toBe('{"level":"info","msg":"step 5"}');
    const text = outcome.logs.join('\n');
    for (const secret of ['hunter2-s3cret', 'Sup3rSecret', 'abc.def.ghi', 'oidc-client-secret-value']) expect(text).not.toContain(secret);
    expect(outcome.logs[17]).toContain('"password":[redacted]');
    expect(outcome.logs[18]).toBe('connecting to postgres://web:[redacted]@db.internal:5432/app with token=[redacted] and [redacted]');
    expect(cluster.calls).toContain(`logs ${JOB}-x7k2p -n web --tail=20`);
    expect(cluster.calls.filter((c) => c.startsWith('delete'))).toEqual([]);

    const report = migrationFailureReport('generic', 'web', outcome);
    expect(report.split('\n').slice(0, 3)).toEqual([
      `✗ generic: the migration of web failed (job/${JOB}, ${(outcome.ms / 1000).toFixed(1).replace(/\.0$/, '')}s): BackoffLimitExceeded: Job has reached the specified backoff limit`,
      "  nothing was rolled back: web's Deployment and pods are unchanged (only its new configuration and the migration's own objects were created)",
      '  last 20 log lines of the migration (values that look like secrets redacted):',
    ]);
    expect(report).toContain('    | {"level":"info","msg":"step 24"}');
  });

  test("a migration past its timeout (the Job's deadline) is a timeout", async () => {
    const cluster = new FakeCluster();
    cluster.progress = (job, reads) => (reads >= 3 ? failed('DeadlineExceeded', 'Job was active longer than specified deadline')(job) : job);
    expect(await runMigration(phaseContext(cluster), 'web', migration)).toMatchObject({
      kind: 'timeout',
      reason: 'DeadlineExceeded: Job was active longer than specified deadline',
    });
  });

  test('a Job that never finishes (no controller acts on it): given up after its deadline and a margin, deleted, progress said every 15 s', async () => {
    const cluster = new FakeCluster();
    const context = phaseContext(cluster);
    const outcome = await runMigration(context, 'web', migration);
    expect(outcome).toMatchObject({
      kind: 'timeout',
      reason: "not finished after 330s (the Job's deadline and a margin); the Job was deleted",
      logs: ['(no pod was created: see `kubectl describe job` for why)'],
    });
    expect(outcome.ms).toBeGreaterThan(330_000);
    expect(outcome.ms).toBeLessThan(333_000);
    expect(cluster.calls.filter((c) => c.startsWith('delete'))).toEqual([`delete job.batch ${JOB} -n web`]);
    expect(context.lines.filter((l) => l.includes('still running')).length).toBeGreaterThanOrEqual(20);
  });

  test('a pod that cannot start (image pull, a missing Secret) fails the migration at once instead of at its deadline', async () => {
    const cluster = new FakeCluster();
    cluster.lists.pods = ok([pod(`${JOB}-a1b2c`, 'ImagePullBackOff')]);
    const outcome = await runMigration(phaseContext(cluster), 'web', migration);
    expect(outcome).toMatchObject({ kind: 'failed', reason: `pod ${JOB}-a1b2c: container web is ImagePullBackOff: Back-off pulling image` });
    expect(outcome.ms).toBeLessThan(5_000);
    expect(cluster.calls.filter((c) => c.startsWith('delete'))).toEqual([`delete job.batch ${JOB} -n web`]);
  });

  test('a Job the API server refuses: exit 5 naming it, nothing of the workload applied', async () => {
    const cluster = new FakeCluster();
    cluster.create = async () => ({ ok: false, error: 'Error from server (Forbidden): jobs.batch is forbidden', forbidden: true });
    const refused = await refusal(runMigration(phaseContext(cluster), 'web', migration));
    expect(refused).toEqual({
      exitCode: EXIT.applyFailed,
      message: expect.stringMatching(new RegExp(`^creating job/${JOB} \\(web's migration\\) failed; nothing of web applied:\\n  Error from server \\(Forbidden\\)`)),
    });
  });
});
