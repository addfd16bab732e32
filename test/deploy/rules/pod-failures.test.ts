import { renderTarget } from '../../../charts/app';
import { platformConfig } from '../../../config';
import {
  CRASH_RESTARTS,
  describePodFailure,
  detectPodFailures,
  logSource,
  newPods,
  newReplicaSetHash,
  redactLogLines,
  startupBudgetSeconds,
  type ContainerSpecLike,
  type ContainerStatusLike,
  type FailurePodLike,
} from '../../../deploy/rules/pod-failures';

/** The generic target's real container spec (probes as the chart renders them). */
const chartContainer = (): ContainerSpecLike => {
  const objects = renderTarget(platformConfig, 'generic', { images: { app: 'registry.local/web:1.0.0' } }).objects as any[];
  return objects.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0];
};

const NOW = new Date('2026-12-01T20:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();

const pod = (status: Partial<ContainerStatusLike>, extra: { ready?: boolean; hash?: string; name?: string; deleting?: boolean } = {}): FailurePodLike => ({
  metadata: {
    name: extra.name ?? 'web-new-abcde',
    labels: { 'pod-template-hash': extra.hash ?? 'new' },
    ...(extra.deleting ? { deletionTimestamp: ago(1) } : {}),
  },
  spec: { containers: [{ ...chartContainer(), image: 'platform.local/web:2.0.0' }] },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: extra.ready ? 'True' : 'False' }],
    containerStatuses: [{ name: 'web', restartCount: 0, ready: extra.ready ?? false, ...status }],
  },
});

describe('startup budget', () => {
  test("the chart's container: initialDelay + failureThreshold × period of its startupProbe, plus one readiness period", () => {
    const c = chartContainer();
    expect(c.startupProbe).toMatchObject({ failureThreshold: 30, periodSeconds: 2 });
    expect(startupBudgetSeconds(c)).toBe(30 * 2 + c.readinessProbe!.periodSeconds!);
  });

  test('API defaults (failureThreshold 3, period 10 s) and no budget without a startupProbe', () => {
    expect(startupBudgetSeconds({ name: 'x', startupProbe: {} })).toBe(30);
    expect(startupBudgetSeconds({ name: 'x', startupProbe: { initialDelaySeconds: 5, failureThreshold: 2, periodSeconds: 1 }, readinessProbe: {} })).toBe(5 + 2 + 10);
    expect(startupBudgetSeconds({ name: 'x' })).toBeUndefined();
  });
});

describe('detectPodFailures', () => {
  test('CrashLoopBackOff: pod, container, image, exit code and restarts', () => {
    const [f, ...rest] = detectPodFailures(
      [
        pod({
          restartCount: 1,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error' } },
        }),
      ],
      NOW,
    );
    expect(rest).toEqual([]);
    expect(f).toEqual({
      kind: 'crash-loop',
      pod: 'web-new-abcde',
      container: 'web',
      image: 'platform.local/web:2.0.0',
      restarts: 1,
      exitCode: 1,
      reason: 'CrashLoopBackOff',
      message: 'exited with code 1 (Error); restarted 1 time',
    });
  });

  test(`a container restarted ${CRASH_RESTARTS} times after non-zero exits is crashing before the kubelet says CrashLoopBackOff`, () => {
    const crashing = pod({ restartCount: CRASH_RESTARTS, state: { running: { startedAt: ago(1) } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } });
    expect(detectPodFailures([crashing], NOW)).toMatchObject([
      { kind: 'crash-loop', reason: 'OOMKilled', exitCode: 137, message: `exited with code 137 (OOMKilled); restarted ${CRASH_RESTARTS} times` },
    ]);
    // One restart, or restarts after clean exits, are not (yet) a crash loop.
    expect(detectPodFailures([pod({ restartCount: 1, state: { running: { startedAt: ago(1) } }, lastState: { terminated: { exitCode: 1 } } })], NOW)).toEqual([]);
    expect(detectPodFailures([pod({ restartCount: 3, state: { running: { startedAt: ago(1) } }, lastState: { terminated: { exitCode: 0 } } })], NOW)).toEqual([]);
  });

  test.each(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull'])('%s fails at once', (reason) => {
    expect(detectPodFailures([pod({ state: { waiting: { reason, message: 'failed to pull image "platform.local/web:nope"' } } })], NOW)).toMatchObject([
      { kind: 'image-pull', reason, message: 'failed to pull image "platform.local/web:nope"', restarts: 0 },
    ]);
  });

  test.each(['CreateContainerConfigError', 'CreateContainerError'])('%s fails at once', (reason) => {
    expect(detectPodFailures([pod({ state: { waiting: { reason, message: 'secret "web-database" not found' } } })], NOW)).toMatchObject([
      { kind: 'container-config', reason, message: 'secret "web-database" not found' },
    ]);
  });

  test('not Ready after the startup budget since the container started: fails; within it: still starting', () => {
    const budget = startupBudgetSeconds(chartContainer())!;
    expect(detectPodFailures([pod({ started: true, state: { running: { startedAt: ago(budget + 1) } } })], NOW)).toMatchObject([
      {
        kind: 'startup-budget',
        reason: 'StartupBudgetExceeded',
        message: `started but not Ready ${budget + 1}s after the container started (budget ${budget}s: startupProbe initialDelay + failureThreshold × period, + one readiness period)`,
      },
    ]);
    expect(detectPodFailures([pod({ started: false, state: { running: { startedAt: ago(budget + 5) } } })], NOW)[0].message).toMatch(/^has not passed its startupProbe/);
    expect(detectPodFailures([pod({ started: true, state: { running: { startedAt: ago(budget - 1) } } })], NOW)).toEqual([]);
    // Ready pods are fine however long they run.
    expect(detectPodFailures([pod({ started: true, ready: true, state: { running: { startedAt: ago(budget * 10) } } }, { ready: true })], NOW)).toEqual([]);
  });

  test('ContainerCreating and a healthy pod are not failures', () => {
    expect(detectPodFailures([pod({ state: { waiting: { reason: 'ContainerCreating' } } })], NOW)).toEqual([]);
    expect(detectPodFailures([pod({ ready: true, started: true, state: { running: { startedAt: ago(5) } } }, { ready: true })], NOW)).toEqual([]);
  });
});

describe('newPods', () => {
  test("keeps the new ReplicaSet's pods that are not being deleted", () => {
    const pods = [pod({}, { name: 'a', hash: 'new' }), pod({}, { name: 'b', hash: 'old' }), pod({}, { name: 'c', hash: 'new', deleting: true })];
    expect(newPods(pods, 'new').map((p) => p.metadata!.name)).toEqual(['a']);
  });
});

describe('report', () => {
  test('logs come from the previous run of a crashing container, the current one of a slow starter, none without a run', () => {
    const base = { pod: 'p', container: 'c', restarts: 0, reason: 'r', message: 'm' };
    expect(logSource({ ...base, kind: 'crash-loop' })).toEqual({ previous: true });
    expect(logSource({ ...base, kind: 'startup-budget' })).toEqual({ previous: false });
    expect(logSource({ ...base, kind: 'image-pull' })).toBeUndefined();
    expect(logSource({ ...base, kind: 'container-config' })).toBeUndefined();
  });

  test('redactLogLines: last N non-empty lines, known secret values and credential-looking values replaced', () => {
    const text = [
      'line 1',
      '',
      '{"level":"error","msg":"cannot connect","password":"hunter22","user":"app"}',
      'DATABASE_PASSWORD=s3cr3t-value other=visible',
      'Authorization: Bearer eyJhbGciOi.payload.sig',
      'client secret is Sup3r-s3cret-never-printed (leaked)',
      'x'.repeat(400),
    ].join('\n');
    const lines = redactLogLines(text, ['Sup3r-s3cret-never-printed'], 5);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('{"level":"error","msg":"cannot connect","password":"***","user":"app"}');
    expect(lines[1]).toBe('DATABASE_PASSWORD=*** other=visible');
    expect(lines[2]).toBe('Authorization: ***');
    expect(lines[3]).toBe('client secret is *** (leaked)');
    expect(lines[4]).toBe(`${'x'.repeat(300)}…`);
    expect(lines.join('\n')).not.toMatch(/hunter22|s3cr3t-value|eyJhbGciOi|Sup3r/);
  });

  test('redactLogLines removes a private key block, also one cut off by the end of the log', () => {
    const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA\n-----END RSA PRIVATE KEY-----\nafter';
    expect(redactLogLines(key)).toEqual(['-----BEGIN RSA PRIVATE KEY----- *** -----END RSA PRIVATE KEY-----', 'after']);
    expect(redactLogLines('-----BEGIN PRIVATE KEY-----\nMIIEow\nAAAA').join('\n')).not.toMatch(/MIIEow|AAAA/);
  });

  test('describePodFailure names pod, container, image, reason and lists the log lines', () => {
    const lines = describePodFailure(
      {
        kind: 'crash-loop',
        pod: 'web-5d9-x',
        container: 'web',
        image: 'platform.local/web-test:crash-1',
        restarts: 2,
        exitCode: 1,
        reason: 'CrashLoopBackOff',
        message: 'exited with code 1 (Error); restarted 2 times',
      },
      ['{"msg":"exiting at start"}'],
    );
    expect(lines).toEqual([
      'pod web-5d9-x, container web (image platform.local/web-test:crash-1): CrashLoopBackOff — exited with code 1 (Error); restarted 2 times',
      '  last 1 log line:',
      '    | {"msg":"exiting at start"}',
    ]);
  });
});

describe('newReplicaSetHash', () => {
  const rs = (revision: string, hash: string, owner = 'web') => ({
    metadata: { annotations: { 'deployment.kubernetes.io/revision': revision }, labels: { 'pod-template-hash': hash }, ownerReferences: [{ kind: 'Deployment', name: owner }] },
  });
  const deployment = (revision?: string) => ({
    metadata: { name: 'web', annotations: (revision ? { 'deployment.kubernetes.io/revision': revision } : {}) as Record<string, string> },
  });

  test("the hash of the ReplicaSet at the Deployment's revision, owned by it", () => {
    expect(newReplicaSetHash(deployment('3'), [rs('2', 'old'), rs('3', 'new'), rs('3', 'other', 'api')])).toBe('new');
  });

  test('undefined before the controller created it, or without a revision', () => {
    expect(newReplicaSetHash(deployment('4'), [rs('3', 'new')])).toBeUndefined();
    expect(newReplicaSetHash(deployment(), [rs('3', 'new')])).toBeUndefined();
  });
});
